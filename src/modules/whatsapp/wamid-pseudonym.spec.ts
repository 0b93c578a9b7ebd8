import { randomBytes } from 'node:crypto';
import { CryptoService } from '../../platform/crypto/crypto.service';
import type { AppConfig } from '../../config/app-config';
import { ledgerEventId, pseudonymisedLegacyEvent, WAMID_PSEUDONYM_PREFIX } from './wamid-pseudonym';

const crypto = new CryptoService({
  crypto: { encryptionKey: randomBytes(32), previousEncryptionKeys: [], blindIndexKey: randomBytes(32) },
} as unknown as AppConfig);
const otherKey = new CryptoService({
  crypto: { encryptionKey: randomBytes(32), previousEncryptionKeys: [], blindIndexKey: randomBytes(32) },
} as unknown as AppConfig);

// Meta's documented example: base64 of a structure holding 16503879439.
const WAMID = 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=';

describe(ledgerEventId.name, () => {
  it('turns a message key into a pseudonym that holds neither the wamid nor the number', () => {
    const id = ledgerEventId(crypto, `msg:${WAMID}`);
    expect(id).toMatch(/^bw:[0-9a-f]{64}$/);
    expect(id).not.toContain('HBgL');
  });

  it('gives the same wamid the same pseudonym, so a replay is recognised', () => {
    expect(ledgerEventId(crypto, `msg:${WAMID}`)).toBe(ledgerEventId(crypto, `msg:${WAMID}`));
  });

  it('keeps a message, its statuses and other messages apart', () => {
    const ids = new Set([
      ledgerEventId(crypto, `msg:${WAMID}`),
      ledgerEventId(crypto, `status:${WAMID}:failed`),
      ledgerEventId(crypto, `status:${WAMID}:sent`),
      ledgerEventId(crypto, 'msg:wamid.OTHER'),
    ]);
    expect(ids.size).toBe(4);
  });

  it('cannot be computed without the blind-index key', () => {
    expect(ledgerEventId(otherKey, `msg:${WAMID}`)).not.toBe(ledgerEventId(crypto, `msg:${WAMID}`));
  });

  it('blind-indexes the person in a user_preferences key and keeps its other parts', () => {
    const id = ledgerEventId(crypto, 'pref:106540352242922:16505551234:stop:1731705721');
    expect(id).toMatch(/^pref:106540352242922:[0-9a-f]{32}:stop:1731705721$/);
  });

  it('leaves what is already pseudonymous alone (a rewrite can run twice)', () => {
    const message = ledgerEventId(crypto, `msg:${WAMID}`);
    const preference = ledgerEventId(crypto, 'pref:1065:16505551234:stop:1');
    expect(ledgerEventId(crypto, message)).toBe(message);
    expect(ledgerEventId(crypto, preference)).toBe(preference);
  });
});

describe(pseudonymisedLegacyEvent.name, () => {
  const legacy = {
    sourceEventId: `msg:${WAMID}`,
    evidence: {
      wamid: WAMID,
      context_message_id: 'wamid.ASK',
      button_payload: 'consent_stop:+16505551234',
      message_type: 'button',
      phone_number_id: '106540352242922',
      matched_on: 'button_payload',
    },
  };

  it('rewrites the key as the live path writes it today, so replays of old messages stay duplicates', () => {
    expect(pseudonymisedLegacyEvent(crypto, legacy)?.sourceEventId).toBe(
      ledgerEventId(crypto, `msg:${WAMID}`),
    );
  });

  it('replaces every clear value that can carry a number by its pseudonym, and keeps the rest', () => {
    const rewrite = pseudonymisedLegacyEvent(crypto, legacy)!;
    expect(JSON.stringify(rewrite)).not.toMatch(/wamid\.|6505551234/);
    expect(rewrite.evidence).toMatchObject({
      wamid: expect.stringMatching(/^bw:[0-9a-f]{64}$/),
      context_message_id: expect.stringMatching(/^bw:/),
      button_payload: expect.stringMatching(/^bw:/),
      message_type: 'button',
      phone_number_id: '106540352242922',
      matched_on: 'button_payload',
    });
  });

  it('answers null for an event already clean, so a second run changes nothing', () => {
    const once = pseudonymisedLegacyEvent(crypto, legacy)!;
    expect(pseudonymisedLegacyEvent(crypto, once)).toBeNull();
    const current = {
      sourceEventId: ledgerEventId(crypto, 'msg:wamid.NEW'),
      evidence: { message_type: 'text' },
    };
    expect(pseudonymisedLegacyEvent(crypto, current)).toBeNull();
  });

  it('pseudonymises a user_preferences key written before wa_ids were blind-indexed', () => {
    const rewrite = pseudonymisedLegacyEvent(crypto, {
      sourceEventId: 'pref:1065:16505551234:stop:1731705721',
      evidence: { category: 'marketing_messages', value: 'stop' },
    });
    expect(rewrite?.sourceEventId).toMatch(/^pref:1065:[0-9a-f]{32}:stop:1731705721$/);
    expect(rewrite?.evidence).toEqual({ category: 'marketing_messages', value: 'stop' });
  });

  it(`uses the ${WAMID_PSEUDONYM_PREFIX} prefix for every pseudonym it writes`, () => {
    const rewrite = pseudonymisedLegacyEvent(crypto, legacy)!;
    expect(rewrite.sourceEventId.startsWith(WAMID_PSEUDONYM_PREFIX)).toBe(true);
  });
});
