import { createHmac } from 'node:crypto';
import { signatureV3 } from '../../../../sandbox/hubspot';
import { decodeHubspotUri, parseHubspotEvents, verifyHubspotSignatureV3 } from './hubspot-webhook';

const secret = 'app-client-secret';
const uri = 'https://gateway.example.com/webhooks/hubspot';
const now = 1_735_812_000_000;
const body = JSON.stringify([
  {
    eventId: 1234567891,
    portalId: 99999,
    objectId: 101,
    subscriptionType: 'contact.propertyChange',
    propertyName: 'wa_marketing_consent',
    propertyValue: 'OPTED_OUT',
    occurredAt: now - 1000,
    changeSource: 'CRM_UI',
    sourceId: 'userId:45678',
    note: 'Grüße, ő',
  },
]);

function signed(overrides: { timestamp?: string; secret?: string; body?: string; uri?: string } = {}) {
  const timestamp = overrides.timestamp ?? String(now - 1000);
  return {
    clientSecret: secret,
    method: 'POST',
    uri,
    rawBody: Buffer.from(body, 'utf8'),
    timestamp,
    signature: signatureV3(
      overrides.secret ?? secret,
      'POST',
      overrides.uri ?? uri,
      overrides.body ?? body,
      timestamp,
    ),
    now,
  };
}

describe(verifyHubspotSignatureV3.name, () => {
  it('accepts a signature made by the sandbox signer over the raw (non-ASCII) body', () => {
    expect(verifyHubspotSignatureV3(signed())).toBe(true);
  });

  it('accepts a signature computed independently with HMAC-SHA256 in base64', () => {
    const timestamp = String(now);
    const signature = createHmac('sha256', secret).update(`POST${uri}${body}${timestamp}`).digest('base64');
    expect(
      verifyHubspotSignatureV3({
        clientSecret: secret,
        method: 'POST',
        uri,
        rawBody: Buffer.from(body),
        signature,
        timestamp,
        now,
      }),
    ).toBe(true);
  });

  it('rejects a timestamp 6 minutes old even with a valid signature', () => {
    expect(verifyHubspotSignatureV3(signed({ timestamp: String(now - 6 * 60_000) }))).toBe(false);
  });

  it('rejects a tampered body', () => {
    const input = signed();
    expect(verifyHubspotSignatureV3({ ...input, rawBody: Buffer.from(body.replace('OUT', 'IN')) })).toBe(
      false,
    );
  });

  it('rejects a signature made with another secret', () => {
    expect(verifyHubspotSignatureV3(signed({ secret: 'someone-else' }))).toBe(false);
  });

  it('rejects a non-numeric timestamp and an empty signature', () => {
    expect(verifyHubspotSignatureV3({ ...signed(), timestamp: '1735812000000.0' })).toBe(false);
    expect(verifyHubspotSignatureV3({ ...signed(), signature: '' })).toBe(false);
  });

  it('hashes the timestamp string exactly as received', () => {
    const input = signed({ timestamp: String(now - 1000) });
    expect(verifyHubspotSignatureV3({ ...input, timestamp: `0${input.timestamp}` })).toBe(false);
  });

  it('URL-decodes the listed characters in the URI before hashing', () => {
    const encoded = 'https://gateway.example.com/webhooks/hubspot%3Fsource=hubspot%40eu';
    const decoded = 'https://gateway.example.com/webhooks/hubspot?source=hubspot@eu';
    expect(decodeHubspotUri(encoded)).toBe(decoded);
    expect(verifyHubspotSignatureV3({ ...signed({ uri: decoded }), uri: encoded })).toBe(true);
    expect(decodeHubspotUri('https://x.test/a?b=c%26d')).toBe('https://x.test/a?b=c%26d');
  });
});

describe(parseHubspotEvents.name, () => {
  it('maps a propertyChange event', () => {
    expect(parseHubspotEvents(JSON.parse(body))).toEqual([
      {
        eventId: '1234567891',
        portalId: 99999,
        objectId: '101',
        subscriptionType: 'contact.propertyChange',
        propertyName: 'wa_marketing_consent',
        propertyValue: 'OPTED_OUT',
        occurredAt: new Date(now - 1000).toISOString(),
        changeSource: 'CRM_UI',
        sourceId: 'userId:45678',
      },
    ]);
  });

  it('keeps a privacyDeletion event without property fields', () => {
    const [event] = parseHubspotEvents([
      {
        eventId: 7,
        portalId: 1,
        objectId: 101,
        subscriptionType: 'contact.privacyDeletion',
        occurredAt: now,
        attemptNumber: 2,
      },
    ]);
    expect(event).toEqual({
      eventId: '7',
      portalId: 1,
      objectId: '101',
      subscriptionType: 'contact.privacyDeletion',
      occurredAt: new Date(now).toISOString(),
      attemptNumber: 2,
    });
  });

  it('drops malformed entries and never throws', () => {
    const valid = {
      eventId: 1,
      portalId: 1,
      objectId: 2,
      subscriptionType: 'contact.creation',
      occurredAt: now,
    };
    expect(
      parseHubspotEvents([
        null,
        'x',
        [],
        { ...valid, eventId: undefined },
        { ...valid, objectId: 'abc' },
        { ...valid, subscriptionType: 5 },
        { ...valid, occurredAt: 'yesterday' },
        { ...valid, portalId: -1 },
        valid,
      ]),
    ).toHaveLength(1);
    expect(parseHubspotEvents({ events: [] })).toEqual([]);
    expect(parseHubspotEvents(undefined)).toEqual([]);
  });
});
