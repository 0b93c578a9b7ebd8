import { relayConsent } from './relay-consent';
import { relayHeaders } from './relay-headers';

const base = {
  deliveryId: 'a'.repeat(64),
  signature: 'sha256=abc',
  consent: 'none' as const,
  contentLength: 12,
};

describe('headers of a forwarded delivery', () => {
  it('carries Meta’s signature unchanged, the delivery id, the conclusion and the attempt', () => {
    expect(relayHeaders({ ...base, attempt: 1 })).toEqual({
      'content-type': 'application/json',
      'content-length': '12',
      'user-agent': 'consent-gateway-relay/0.1',
      'x-hub-signature-256': 'sha256=abc',
      'x-consent-gateway-delivery': 'a'.repeat(64),
      'x-consent-gateway-consent': 'none',
      'x-consent-gateway-attempt': '1',
    });
  });

  it('marks every attempt after the first as a possible redelivery, with the same delivery id', () => {
    const headers = relayHeaders({ ...base, attempt: 2 });
    expect(headers['x-consent-gateway-redelivery']).toBe('true');
    expect(headers['x-consent-gateway-delivery']).toBe('a'.repeat(64));
  });

  it('sends no signature header when Meta’s was not kept', () => {
    expect(relayHeaders({ ...base, signature: null, attempt: 1 })).not.toHaveProperty('x-hub-signature-256');
  });
});

describe('the consent conclusion of a delivery', () => {
  it('is withdrawn when any item withdrew, even beside a grant', () => {
    expect(relayConsent({ consent_withdrawn: 1, consent_granted: 2 })).toBe('withdrawn');
  });
  it('is granted when an item granted and none withdrew', () => {
    expect(relayConsent({ consent_granted: 1, items: 3 })).toBe('granted');
  });
  it('is none for statuses and other messages', () => {
    expect(relayConsent({ items: 3, no_consent_change: 3 })).toBe('none');
  });
});
