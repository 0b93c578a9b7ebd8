import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConnectionService } from '../../src/modules/connectors';
import { credentialsPlace } from '../../src/modules/connectors/connection.service';
import { RecordLinks } from '../../src/modules/connectors/record-links.service';
import { rawBodyPlace } from '../../src/modules/inbox/inbox-sealed-places';
import { ConsentQueryService } from '../../src/modules/ledger/consent-query.service';
import { IdentityService } from '../../src/modules/ledger/identity.service';
import { wrappedKeyPlace } from '../../src/modules/ledger/sealed-places';
import { LedgerReader } from '../../src/modules/ledger/ledger.reader';
import { LedgerService, type RecordConsentInput } from '../../src/modules/ledger/ledger.service';
import { SubjectErasureService } from '../../src/modules/ledger/subject-erasure.service';
import { SubjectTimelineService } from '../../src/modules/ledger/subject-timeline.service';
import { payloadPlace } from '../../src/modules/propagation/request-payload';
import { CryptoService, keyIdOf } from '../../src/platform/crypto/crypto.service';
import { KeyRotation } from '../../src/platform/crypto/key-rotation';
import { eventually, startTestContext, testConfig } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

const MONDAY = new Date('2025-06-02T09:00:00Z');
const newKey = () => randomBytes(32).toString('base64');

let sequence = 0;
function newPerson() {
  const n = String(4000 + ++sequence).padStart(4, '0');
  return { phone: `+1650555${n}`, email: `rotate-${n}-${randomBytes(3).toString('hex')}@example.org` };
}

const grant = (p: ReturnType<typeof newPerson>): RecordConsentInput => ({
  source: 'api',
  sourceEventId: `api.${randomBytes(8).toString('hex')}`,
  identities: [
    { kind: 'phone', value: p.phone },
    { kind: 'email', value: p.email },
  ],
  purpose: 'marketing',
  channel: 'whatsapp',
  scope: null,
  status: 'granted',
  method: 'web_form',
  actor: 'automation',
  capturedAt: MONDAY,
  receivedAt: MONDAY,
  sealedEvidence: { ip: '203.0.113.7', form: `signup for ${p.email}` },
});

/**
 * keys:rotate, as an operator runs it: data written under the old keys (including values from before binding),
 * the gateway restarted with the new keys and the old ones as previous, the rotation run, and then everything
 * reads, people are found by their identifiers, and erased people stay suppressed.
 */
describe('keys:rotate', () => {
  const old = { encryption: newKey(), blindIndex: newKey() };
  const next = { encryption: newKey(), blindIndex: newKey() };
  const oldKeyId = keyIdOf(Buffer.from(old.encryption, 'base64'));
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  const kept = {
    person: newPerson(),
    erased: newPerson(),
    legacyPhone: newPerson().phone,
    subjectId: '',
    legacySubjectId: '',
    connectionId: '',
    inboxId: '',
    legacyInboxId: '',
    deliveryId: '',
  };
  const printed: string[] = [];

  /** The gateway after its restart with the new keys, the old ones listed as previous (or retired). */
  const restartWith = async (env: Record<string, string>) => {
    await ctx?.close();
    ctx = await startTestContext(db.url, testConfig(db.url, env));
  };
  const rotated = {
    ENCRYPTION_KEY: next.encryption,
    PREVIOUS_ENCRYPTION_KEYS: old.encryption,
    BLIND_INDEX_KEY: next.blindIndex,
    PREVIOUS_BLIND_INDEX_KEYS: old.blindIndex,
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await restartWith({ ENCRYPTION_KEY: old.encryption, BLIND_INDEX_KEY: old.blindIndex });
    const ledger = ctx.get(LedgerService);
    const crypto = ctx.get(CryptoService);
    const record = (input: RecordConsentInput) => ledger.transaction((m) => ledger.recordConsent(m, input));

    kept.subjectId = (await record(grant(kept.person))).subjectId;
    const { subjectId: erasedId } = await record(grant(kept.erased));
    await ledger.transaction((m) => ctx.get(SubjectErasureService).forget(m, erasedId, null));

    // An identity and an inbox body from before binding (sealed under the master key, no associated data).
    const [legacy] = await db.query<{ id: string }>(`INSERT INTO subject DEFAULT VALUES RETURNING id`);
    kept.legacySubjectId = legacy.id;
    const [prepared] = ctx.get(IdentityService).prepare([{ kind: 'phone', value: kept.legacyPhone }]);
    const unbound = crypto.seal(kept.legacyPhone);
    await db.query(
      `INSERT INTO subject_identity (subject_id, kind, value_hash, value_ciphertext, key_id) VALUES ($1, 'phone', $2, $3, $4)`,
      [legacy.id, prepared.hash, unbound.ciphertext, unbound.keyId],
    );
    const inbox = async (sealed: (deliveryId: string) => { ciphertext: Buffer; keyId: string }) => {
      const deliveryId = randomBytes(8).toString('hex');
      const body = sealed(deliveryId);
      const [row] = await db.query<{ id: string }>(
        `INSERT INTO inbox (provider, delivery_id, raw_body, key_id, status) VALUES ('whatsapp', $1, $2, $3, 'processed')
         RETURNING id`,
        [deliveryId, body.ciphertext, body.keyId],
      );
      return row.id;
    };
    kept.inboxId = await inbox((d) => crypto.seal('{"bound":true}', rawBodyPlace('whatsapp', d)));
    kept.legacyInboxId = await inbox(() => crypto.seal('{"bound":false}'));

    // Evidence sealed under the master key (before per-person keys), and a value under a person's key from before
    // binding: both are re-bound by the rotation (the evidence through the ledger trigger's rekey setting).
    const legacyEvidence = crypto.seal(JSON.stringify({ ip: '192.0.2.44' }));
    await db.query(
      `INSERT INTO consent_event (subject_id, purpose, channel, scope, status, effect, source, source_event_id, method,
                                  actor, captured_at, received_at, sealed_evidence, key_id)
       VALUES ($1, 'marketing', 'email', '*', 'granted', 'changed', 'api', $2, 'web_form', 'automation', $3, $3, $4, $5)`,
      [
        legacy.id,
        `api.${randomBytes(6).toString('hex')}`,
        MONDAY,
        legacyEvidence.ciphertext,
        legacyEvidence.keyId,
      ],
    );
    const [wrap] = await db.query<{ wrapped_key: Buffer; key_id: string }>(
      `SELECT wrapped_key, key_id FROM subject_key WHERE subject_id = $1`,
      [kept.subjectId],
    );
    const dataKey = crypto.open(
      { ciphertext: wrap.wrapped_key, keyId: wrap.key_id },
      wrappedKeyPlace(kept.subjectId),
    );
    const [waId] = ctx.get(IdentityService).prepare([{ kind: 'wa_id', value: kept.person.phone.slice(1) }]);
    await db.query(
      `INSERT INTO subject_identity (subject_id, kind, value_hash, value_ciphertext, key_id) VALUES ($1, 'wa_id', $2, $3, $4)`,
      [kept.subjectId, waId.hash, CryptoService.sealWith(dataKey, waId.normalised), `sk:${kept.subjectId}`],
    );

    const [vendor] = await db.query<{ id: string }>(
      `INSERT INTO vendor (name) VALUES ('Rotated') RETURNING id`,
    );
    kept.connectionId = randomUUID();
    const credentials = crypto.seal(
      JSON.stringify({ signingSecret: 'whsec-rotated', url: 'https://processor.test/hook' }),
      credentialsPlace(kept.connectionId),
    );
    await db.query(
      `INSERT INTO connection (id, vendor_id, type, name, credentials, key_id, status)
       VALUES ($1, $2, 'webhook', 'rotated', $3, $4, 'active')`,
      [kept.connectionId, vendor.id, credentials.ciphertext, credentials.keyId],
    );
    const payload = crypto.seal(
      JSON.stringify({ data: [{ email: kept.person.email }] }),
      payloadPlace(kept.subjectId, 'access_export'),
    );
    const [delivery] = await db.query<{ id: string }>(
      `INSERT INTO delivery (connection_id, subject_id, operation, status, payload_ciphertext, payload_key_id)
       VALUES ($1, $2, 'access_export', 'succeeded', $3, $4) RETURNING id`,
      [kept.connectionId, kept.subjectId, payload.ciphertext, payload.keyId],
    );
    kept.deliveryId = delivery.id;
    // CRM record ids, linked and unmatched (more than a batch, so the rotation goes along its cursor).
    const links = ctx.get(RecordLinks);
    await links.link(
      undefined,
      kept.connectionId,
      [kept.subjectId, kept.legacySubjectId, erasedId].map((subjectId, i) => ({
        subjectId,
        remoteId: `contact-${i}`,
        recordType: 'contact',
        pushed: null,
      })),
    );
    await ctx.get(DataSource).transaction((m) =>
      links.recordProblems(
        m,
        kept.connectionId,
        ['lead-1', 'lead-2', 'lead-3'],
        ['lead-1', 'lead-2', 'lead-3'].map((remoteId) => ({
          remoteId,
          recordType: 'lead',
          problems: [{ field: 'phone', reason: 'invalid' }],
        })),
      ),
    );

    await restartWith(rotated);
    // Asked before the re-indexing: unknown under the new blind-index key (and remembered as such).
    notFoundBeforeReindex = await ctx.get(ConsentQueryService).check({ phone: kept.person.phone });
    expect(await ctx.get(KeyRotation).rotate((line) => printed.push(line), 2)).toBe(0);
    expect(await ctx.get(KeyRotation).reindex((line) => printed.push(line), 2)).toBe(0);
  });

  let notFoundBeforeReindex: Awaited<ReturnType<ConsentQueryService['check']>>;

  it('tells a running gateway that cached "nobody" for an identifier before it was re-indexed', async () => {
    expect(notFoundBeforeReindex).toMatchObject({ allowed: false });
    const found = await eventually(async () => {
      const answer = await ctx.get(ConsentQueryService).check({ phone: kept.person.phone });
      return answer.allowed ? answer : null;
    });
    expect(found).toMatchObject({ status: 'granted' });
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  it('leaves nothing under the old key, nor unbound, in any column', async () => {
    const usage = await ctx.get(KeyRotation).status();
    expect(usage.filter((u) => u.stale)).toEqual([]);
    expect(usage.some((u) => u.keyId.startsWith(oldKeyId))).toBe(false);
    expect(usage.map((u) => u.column)).toEqual(
      expect.arrayContaining([
        'subject_key.wrapped_key',
        'subject_identity.value_ciphertext',
        'consent_event.sealed_evidence',
        'inbox.raw_body',
        'connection.credentials',
        'delivery.payload_ciphertext',
        'connection_record.remote_id_ciphertext',
        'connection_unmatched.remote_id_ciphertext',
      ]),
    );
  });

  it('re-wraps person keys but keeps each value under its own person key', async () => {
    const identities = await db.query<{ key_id: string }>(
      `SELECT key_id FROM subject_identity WHERE subject_id = $1`,
      [kept.subjectId],
    );
    // Including the one sealed under their key before binding: re-bound, still under their key.
    expect(identities.map((i) => i.key_id)).toEqual(identities.map(() => `sk:${kept.subjectId}+a`));
    expect(identities).toHaveLength(3);
    const [key] = await db.query<{ key_id: string }>(`SELECT key_id FROM subject_key WHERE subject_id = $1`, [
      kept.subjectId,
    ]);
    expect(key.key_id).toBe(`${ctx.get(CryptoService).currentKeyId}+a`);
  });

  describe('with the old encryption key retired afterwards', () => {
    beforeAll(() => restartWith({ ...rotated, PREVIOUS_ENCRYPTION_KEYS: '' }));

    it("still reads the person's identifiers and sealed evidence", async () => {
      const exported = await ctx.get(LedgerReader).personExport(kept.subjectId);
      expect(exported.identifiers.map((i) => i.value).sort()).toEqual(
        [kept.person.email, kept.person.phone, kept.person.phone.slice(1)].sort(),
      );
      const timeline = await ctx.get(SubjectTimelineService).timeline(kept.subjectId);
      expect(timeline.events[0].evidence.personal).toEqual({
        ip: '203.0.113.7',
        form: `signup for ${kept.person.email}`,
      });
    });

    it('reads master-key evidence from before per-person keys, now under the new key and bound', async () => {
      const timeline = await ctx.get(SubjectTimelineService).timeline(kept.legacySubjectId);
      expect(timeline.events.map((e) => e.evidence.personal)).toEqual([{ ip: '192.0.2.44' }]);
      const [event] = await db.query<{ key_id: string }>(
        `SELECT key_id FROM consent_event WHERE subject_id = $1`,
        [kept.legacySubjectId],
      );
      expect(event.key_id).toBe(`${ctx.get(CryptoService).currentKeyId}+a`);
    });

    it('reads a value from before binding, now bound to its row', async () => {
      const people = await ctx.get(LedgerReader).personsForPush([kept.legacySubjectId]);
      expect(people.get(kept.legacySubjectId)?.phones).toEqual([kept.legacyPhone]);
      const [row] = await db.query<{ key_id: string }>(
        `SELECT key_id FROM subject_identity WHERE subject_id = $1`,
        [kept.legacySubjectId],
      );
      expect(row.key_id).toBe(`${ctx.get(CryptoService).currentKeyId}+a`);
    });

    it('reads connection credentials, delivery payloads and inbox bodies', async () => {
      const crypto = ctx.get(CryptoService);
      const context = await ctx.get(ConnectionService).context(kept.connectionId);
      expect(context.credentials).toMatchObject({ signingSecret: 'whsec-rotated' });
      const [delivery] = await db.query<{ payload_ciphertext: Buffer; payload_key_id: string }>(
        `SELECT payload_ciphertext, payload_key_id FROM delivery WHERE id = $1`,
        [kept.deliveryId],
      );
      const payload = crypto.openText(
        { ciphertext: delivery.payload_ciphertext, keyId: delivery.payload_key_id },
        payloadPlace(kept.subjectId, 'access_export'),
      );
      expect(JSON.parse(payload)).toEqual({ data: [{ email: kept.person.email }] });
      const bodies = await db.query<{ delivery_id: string; raw_body: Buffer; key_id: string }>(
        `SELECT delivery_id, raw_body, key_id FROM inbox WHERE id = ANY($1::uuid[]) ORDER BY raw_body`,
        [[kept.inboxId, kept.legacyInboxId]],
      );
      expect(
        bodies
          .map((b) =>
            crypto.openText(
              { ciphertext: b.raw_body, keyId: b.key_id },
              rawBodyPlace('whatsapp', b.delivery_id),
            ),
          )
          .sort(),
      ).toEqual(['{"bound":false}', '{"bound":true}']);
    });

    it('reads and finds CRM record ids, linked and unmatched, under the new keys', async () => {
      const links = ctx.get(RecordLinks);
      const remote = await links.remoteIds(kept.connectionId, [kept.subjectId, kept.legacySubjectId]);
      expect([...remote.values()].flat().sort()).toEqual(['contact-0', 'contact-1']);
      const known = await links.known(kept.connectionId, ['contact-0', 'contact-1', 'contact-2']);
      expect(known.get('contact-0')?.subjectId).toBe(kept.subjectId);
      expect(known.size).toBe(3);
      const unmatched = await links.unmatched(kept.connectionId);
      expect(unmatched.records.map((r) => r.remote_id).sort()).toEqual(['lead-1', 'lead-2', 'lead-3']);
    });

    it('finds people by their identifiers under the new blind-index key (the consent check)', async () => {
      const query = ctx.get(ConsentQueryService);
      expect(await query.check({ phone: kept.person.phone })).toMatchObject({
        allowed: true,
        status: 'granted',
      });
      expect(await query.check({ email: kept.person.email })).toMatchObject({ allowed: true });
    });

    it("keeps an erased person's suppression, made under the previous blind-index key", async () => {
      expect(await ctx.get(ConsentQueryService).check({ phone: kept.erased.phone })).toMatchObject({
        allowed: false,
        reason: 'erased',
      });
      // An import naming them again is refused: nobody is created for them.
      const ledger = ctx.get(LedgerService);
      const again = await ledger.transaction((m) => ledger.recordConsent(m, grant(kept.erased)));
      expect(again).toMatchObject({ effect: 'suppressed' });
    });
  });

  it('is idempotent: a second run finds nothing to do', async () => {
    const lines: string[] = [];
    expect(await ctx.get(KeyRotation).rotate((line) => lines.push(line))).toBe(0);
    expect(lines).toEqual([]);
  });

  it('prints progress without personal data', () => {
    expect(printed.length).toBeGreaterThan(0);
    const text = printed.join('\n');
    for (const secret of [kept.person.phone, kept.person.email, kept.erased.phone, kept.legacyPhone])
      expect(text).not.toContain(secret.replace('+', ''));
  });

  it('lets an old suppression lapse once the previous blind-index key is retired (why it stays configured)', async () => {
    await restartWith({ ENCRYPTION_KEY: next.encryption, BLIND_INDEX_KEY: next.blindIndex });
    expect(await ctx.get(ConsentQueryService).check({ phone: kept.erased.phone })).not.toMatchObject({
      reason: 'erased',
    });
    expect(await ctx.get(ConsentQueryService).check({ phone: kept.person.phone })).toMatchObject({
      allowed: true,
    });
  });

  it('lets the rekey setting change only the sealed evidence of a ledger event, nothing else', async () => {
    const rewrite = (set: string) =>
      db.query(`BEGIN; SET LOCAL consent_gateway.rekey = 'on';
        UPDATE consent_event SET ${set} WHERE subject_id = '${kept.subjectId}'; COMMIT;`);
    await expect(rewrite(`status = 'withdrawn'`)).rejects.toThrow('append-only');
    await rewrite(`sealed_evidence = sealed_evidence, key_id = key_id`);
    const events = await db.query<{ status: string }>(
      `SELECT status FROM consent_event WHERE subject_id = $1`,
      [kept.subjectId],
    );
    expect(events.map((e) => e.status)).toEqual(['granted']);
  });
});
