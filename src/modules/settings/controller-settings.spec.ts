import { isPlaceholder, missingFields } from './controller-settings';

describe('controller details: filled in or placeholders', () => {
  const real = {
    name: 'Acme Retail GmbH',
    contact: 'Data Protection Officer',
    email: 'privacy@acme-retail.de',
    address: 'Hauptstraße 1, 10115 Berlin',
    privacy_policy_url: 'https://acme-retail.de/privacy',
  };

  it('counts real details as complete (a contact may be a role)', () => {
    expect(missingFields(real)).toEqual([]);
  });

  it('counts the built-in defaults as not filled in', () => {
    expect(
      missingFields({
        name: 'Consent Gateway operator',
        contact: 'Data Protection Officer',
        email: 'privacy@example.invalid',
        address: 'not configured',
        privacy_policy_url: null,
      }),
    ).toEqual(['name', 'email', 'address', 'privacy_policy_url']);
  });

  it('counts example and reserved domains, and empty values, as placeholders', () => {
    expect(isPlaceholder('email', 'dpo@example.com')).toBe(true);
    expect(isPlaceholder('privacy_policy_url', 'https://shop.example/privacy')).toBe(true);
    expect(isPlaceholder('privacy_policy_url', 'not a url')).toBe(true);
    expect(isPlaceholder('name', '   ')).toBe(true);
    expect(isPlaceholder('contact', '')).toBe(true);
    expect(isPlaceholder('email', 'privacy@examplestore.com')).toBe(false);
  });
});
