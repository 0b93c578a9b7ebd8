import { belongsToVendor, destinationOf, type Destination } from './vendor-attachment';

const webhook = (host: string): Destination => ({ type: 'webhook', host });
const vendor = (website: string | null, connections: Destination[] = []) => ({ website, connections });

describe(belongsToVendor.name, () => {
  it('lets the first connection define a vendor the registry knows nothing about', () => {
    expect(belongsToVendor(webhook('hooks.acme.example'), vendor(null))).toBe(true);
  });

  it("accepts a webhook on the vendor's website host or under it", () => {
    expect(belongsToVendor(webhook('acme.example'), vendor('https://www.acme.example/'))).toBe(true);
    expect(belongsToVendor(webhook('hooks.acme.example'), vendor('https://acme.example'))).toBe(true);
  });

  it("refuses a webhook on another host than the vendor's website", () => {
    expect(belongsToVendor(webhook('attacker.example'), vendor('https://acme.example'))).toBe(false);
    expect(belongsToVendor(webhook('acme.example.attacker.example'), vendor('https://acme.example'))).toBe(
      false,
    );
  });

  it("accepts a webhook on a host the vendor's connections already send to, and no other", () => {
    const known = vendor(null, [webhook('127.0.0.1')]);
    expect(belongsToVendor(webhook('127.0.0.1'), known)).toBe(true);
    expect(belongsToVendor(webhook('10.0.0.8'), known)).toBe(false);
  });

  it('never mixes connection types within one vendor', () => {
    const salesforce: Destination = { type: 'salesforce', host: 'acme.my.salesforce.com' };
    const hubspot: Destination = { type: 'hubspot', host: 'api.hubapi.com' };
    expect(belongsToVendor(hubspot, vendor(null, [salesforce]))).toBe(false);
    expect(belongsToVendor(webhook('api.hubapi.com'), vendor(null, [hubspot]))).toBe(false);
  });

  it("reads a provider's hosts as one site, and another provider's as another", () => {
    const hubspot: Destination = { type: 'hubspot', host: 'api.hubapi.com' };
    expect(belongsToVendor(hubspot, vendor('https://www.hubspot.com'))).toBe(true);
    expect(belongsToVendor(hubspot, vendor('https://www.salesforce.com'))).toBe(false);
    expect(belongsToVendor(webhook('evil.example'), vendor('https://www.hubspot.com'))).toBe(false);
  });

  it('matches nothing when the address cannot be read', () => {
    expect(belongsToVendor(webhook(''), vendor('https://acme.example'))).toBe(false);
  });
});

describe(destinationOf.name, () => {
  it('reads the host the connector calls: base_url, instance, the provider default, the webhook URL', () => {
    expect(destinationOf('hubspot', null, {})).toEqual({ type: 'hubspot', host: 'api.hubapi.com' });
    expect(destinationOf('hubspot', 'http://127.0.0.1:4010', {}).host).toBe('127.0.0.1');
    expect(destinationOf('salesforce', null, { instanceUrl: 'https://Acme.my.salesforce.com' }).host).toBe(
      'acme.my.salesforce.com',
    );
    expect(destinationOf('webhook', null, { url: 'https://hooks.acme.example./x' }).host).toBe(
      'hooks.acme.example',
    );
  });
});
