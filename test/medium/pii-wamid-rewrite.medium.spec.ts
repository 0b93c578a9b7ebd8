import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { LedgerService, type RecordConsentInput } from '../../src/modules/ledger/ledger.service';
import { LedgerRewrites } from '../../src/modules/ledger/ledger-rewrites.service';
import { WamidPseudonymisation } from '../../src/modules/whatsapp/wamid-pseudonymisation';
import { ledgerEventId } from '../../src/modules/whatsapp/wamid-pseudonym';
import { CryptoService } from '../../src/platform/crypto/crypto.service';
import type { AppConfig } from '../../src/config/app-config';
import { startTestContext, testConfig } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { findPlaintext } from '../support/plaintext-scan';

const MONDAY = new Date('2025-06-02T09:00:00Z');

/** A STOP as versions before this one recorded it: the wamid in clear in the key and the evidence. */
function legacyStop(wamid: string, waId: string, extra: Record<string, string> = {}): RecordConsentInput {
  return {
    source: 'whatsapp',
    sourceEventId: `msg:${wamid}`,
    identities: [{ kind: 'wa_id', value: waId }],
    purpose: 'marketing',
    channel: 'whatsapp',
    scope: null,
    status: 'withdrawn',
    method: 'wa_keyword',
    actor: 'subject',
    capturedAt: MONDAY,
    receivedAt: MONDAY,
    evidence: { wamid, message_type: 'text', keyword: 'stop', phone_number_id: '1065', ...extra },
    sealedEvidence: { from: waId },
  };
}

describe('pseudonymising the wamids of events recorded before (ledger_rewrite whatsapp-wamid-pseudonyms)', () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let config: AppConfig;
  let ledger: LedgerService;
  let crypto: CryptoService;

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    // No worker role: nothing runs the rewrite at start, the tests run it.
    ctx = await startTestContext(db.url, config);
    ledger = ctx.get(LedgerService);
    crypto = ctx.get(CryptoService);
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  const record = (input: RecordConsentInput) => ledger.transaction((m) => ledger.recordConsent(m, input));
  const wamid = () => `wamid.HBgL${randomBytes(12).toString('base64')}`;

  it('is asked for by the migration and pending until it has run', async () => {
    expect(await ctx.get(LedgerRewrites).isPending('whatsapp-wamid-pseudonyms')).toBe(true);
  });

  it('leaves no wamid and no number in clear, and records the rewrite done', async () => {
    const stop = wamid();
    const reply = wamid();
    const waId = '16505559001';
    await record(
      legacyStop(stop, waId, { context_message_id: reply, button_payload: `consent_stop:+${waId}` }),
    );
    await record({
      ...legacyStop(wamid(), '16505559002'),
      sourceEventId: `pref:1065:16505559002:stop:1731705721`,
      evidence: { category: 'marketing_messages', value: 'stop' },
    });
    const apiKey = `client-key-${randomBytes(4).toString('hex')}`;
    await record({
      ...legacyStop(wamid(), '16505559003'),
      source: 'api',
      sourceEventId: apiKey,
      evidence: {},
    });

    const report = await ctx.get(WamidPseudonymisation).run();

    expect(report.rewritten).toBeGreaterThanOrEqual(2);
    expect(await findPlaintext(db, [stop, reply, 'wamid.HBgL', waId, '16505559002'])).toEqual([]);
    const [event] = await db.query<{ evidence: Record<string, string> }>(
      `SELECT evidence FROM consent_event WHERE source = 'whatsapp' AND source_event_id = $1`,
      [ledgerEventId(crypto, `msg:${stop}`)],
    );
    expect(event.evidence).toMatchObject({ message_type: 'text', keyword: 'stop', phone_number_id: '1065' });
    expect(event.evidence.wamid).toMatch(/^bw:[0-9a-f]{64}$/);
    // Another source's keys are not WhatsApp's to rewrite.
    expect(await db.query(`SELECT 1 FROM consent_event WHERE source_event_id = $1`, [apiKey])).toHaveLength(
      1,
    );
    expect(await ctx.get(LedgerRewrites).isPending('whatsapp-wamid-pseudonyms')).toBe(false);
  });

  it('keeps replays duplicates: the old message recorded again under its pseudonym is recognised', async () => {
    const stop = wamid();
    await record(legacyStop(stop, '16505559011'));
    await ctx.get(WamidPseudonymisation).run();

    const again = await record({
      ...legacyStop(stop, '16505559011'),
      sourceEventId: ledgerEventId(crypto, `msg:${stop}`),
    });

    expect(again.duplicate).toBe(true);
  });

  it('changes nothing when run again', async () => {
    await record(legacyStop(wamid(), '16505559021'));
    await ctx.get(WamidPseudonymisation).run();
    const before = await db.query(`SELECT id, source_event_id, evidence FROM consent_event ORDER BY id`);

    const report = await ctx.get(WamidPseudonymisation).run();

    expect(report.rewritten).toBe(0);
    expect(await db.query(`SELECT id, source_event_id, evidence FROM consent_event ORDER BY id`)).toEqual(
      before,
    );
  });

  it('gives an old event a key of its own when the same message was recorded again under its pseudonym first', async () => {
    const stop = wamid();
    const oldEvent = await record(legacyStop(stop, '16505559031'));
    const pseudonym = ledgerEventId(crypto, `msg:${stop}`);
    await record({ ...legacyStop(stop, '16505559031'), sourceEventId: pseudonym });

    await ctx.get(WamidPseudonymisation).run();

    const [row] = await db.query<{ source_event_id: string }>(
      `SELECT source_event_id FROM consent_event WHERE id = $1`,
      [oldEvent.eventId],
    );
    expect(row.source_event_id).toBe(`${pseudonym}:${oldEvent.eventId}`);
  });

  it('leaves the ledger append-only for everything else', async () => {
    await expect(
      db.query(`UPDATE consent_event SET source_event_id = 'msg:wamid.BACK' WHERE source = 'whatsapp'`),
    ).rejects.toThrow(/append-only/);
  });
});
