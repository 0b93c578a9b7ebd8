import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NotificationListener } from '../../src/platform/database/notification-listener';
import { CryptoService } from '../../src/platform/crypto/crypto.service';
import { ConsentCommandService } from '../../src/modules/ledger/consent-command.service';
import { ConsentQueryService } from '../../src/modules/ledger/consent-query.service';
import { IdentityService } from '../../src/modules/ledger/identity.service';
import { LedgerReader } from '../../src/modules/ledger/ledger.reader';
import {
  CONSENT_CHANGED_CHANNEL,
  LedgerService,
  type RecordConsentInput,
} from '../../src/modules/ledger/ledger.service';
import { ALL_SCOPES } from '../../src/modules/ledger/ledger.types';
import { SubjectErasureService } from '../../src/modules/ledger/subject-erasure.service';
import { SubjectKeyService } from '../../src/modules/ledger/subject-keys.service';
import { eventually, startTestContext } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { findPlaintext } from '../support/plaintext-scan';

const MONDAY = new Date('2025-06-02T09:00:00Z');
const TUESDAY = new Date('2025-06-03T09:00:00Z');

let sequence = 0;
/** A new person's identifiers: a WhatsApp number (digits), the phone it is, and an email. */
function newPerson() {
  const n = String(6000 + ++sequence).padStart(4, '0');
  return {
    waId: `1650555${n}`,
    phone: `+1650555${n}`,
    email: `erase-${n}-${randomBytes(3).toString('hex')}@example.org`,
  };
}
const newEventId = (prefix: string) => `${prefix}.${randomBytes(8).toString('hex')}`;

/** The person's opt-in on WhatsApp, naming their wa_id and email, with evidence that identifies them. */
const whatsappOptIn = (p: ReturnType<typeof newPerson>, overrides: Partial<RecordConsentInput> = {}) =>
  ({
    source: 'whatsapp',
    sourceEventId: newEventId('wamid'),
    identities: [
      { kind: 'wa_id', value: p.waId },
      { kind: 'email', value: p.email },
    ],
    purpose: 'marketing',
    channel: 'whatsapp',
    scope: null,
    status: 'granted',
    method: 'wa_keyword',
    actor: 'subject',
    capturedAt: MONDAY,
    receivedAt: MONDAY,
    evidence: { wamid: `wamid.${p.waId}`, keyword_language: 'en', phone_number_id: '1065' },
    sealedEvidence: { profile_name: `Jane ${p.waId}` },
    ...overrides,
  }) satisfies RecordConsentInput;

/** A grant reported through the API for this phone. */
const apiGrant = (phone: string): RecordConsentInput => ({
  source: 'api',
  sourceEventId: newEventId('api'),
  identities: [{ kind: 'phone', value: phone }],
  purpose: 'marketing',
  channel: 'whatsapp',
  scope: null,
  status: 'granted',
  method: 'api',
  actor: 'automation',
  capturedAt: TUESDAY,
  receivedAt: TUESDAY,
});

describe(SubjectErasureService.name, () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let ledger: LedgerService;
  let erasure: SubjectErasureService;
  let query: ConsentQueryService;
  let reader: LedgerReader;
  let crypto: CryptoService;
  const forgottenInTransaction: { subjectId: string; erasedAt: unknown }[] = [];
  const announced = new Set<string>();

  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = await startTestContext(db.url);
    ledger = ctx.get(LedgerService);
    erasure = ctx.get(SubjectErasureService);
    query = ctx.get(ConsentQueryService);
    reader = ctx.get(LedgerReader);
    crypto = ctx.get(CryptoService);
    const listener = ctx.get(NotificationListener);
    listener.on(CONSENT_CHANGED_CHANNEL, (subjectId) => announced.add(subjectId));
    await listener.waitUntilLive();
    erasure.onSubjectForgotten(async (manager, subjectId) => {
      const rows: { erased_at: unknown }[] = await manager.query(
        `SELECT erased_at FROM subject WHERE id = $1`,
        [subjectId],
      );
      const [row] = rows;
      forgottenInTransaction.push({ subjectId, erasedAt: row.erased_at });
    });
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  const record = (input: RecordConsentInput) => ledger.transaction((m) => ledger.recordConsent(m, input));
  const forget = (subjectId: string) => ledger.transaction((m) => erasure.forget(m, subjectId, null));
  /** A person with an opt-in on WhatsApp whose delivery is in the inbox (body sealed), then forgotten. */
  async function forgottenPerson() {
    const p = newPerson();
    const body = crypto.seal(JSON.stringify({ from: p.waId, text: 'START' }));
    const [inbox] = await db.query<{ id: string }>(
      `INSERT INTO inbox (provider, delivery_id, raw_body, key_id, status) VALUES ('whatsapp', $1, $2, $3, 'processed')
       RETURNING id`,
      [randomBytes(8).toString('hex'), body.ciphertext, body.keyId],
    );
    const { subjectId } = await record(whatsappOptIn(p, { inboxId: inbox.id }));
    const identities = await db.query<{ value_ciphertext: Buffer; key_id: string }>(
      `SELECT value_ciphertext, key_id FROM subject_identity WHERE subject_id = $1`,
      [subjectId],
    );
    const report = await forget(subjectId);
    return { p, subjectId, inboxId: inbox.id, identities, report };
  }

  it('leaves no identifier nor sealed evidence of the person in any table', async () => {
    const { p } = await forgottenPerson();
    expect(await findPlaintext(db, [p.waId, p.phone, p.email, `Jane ${p.waId}`])).toEqual([]);
  });

  it('deletes every identity, strips the events and purges the inbox body they came from', async () => {
    const { subjectId, inboxId, report } = await forgottenPerson();
    expect(report).toEqual({ identitiesRemoved: 3, eventsStripped: 1, inboxBodiesPurged: 1, suppressed: 3 });
    expect(await db.query(`SELECT 1 FROM subject_identity WHERE subject_id = $1`, [subjectId])).toEqual([]);
    const [inbox] = await db.query<{ raw_body: Buffer | null }>(`SELECT raw_body FROM inbox WHERE id = $1`, [
      inboxId,
    ]);
    expect(inbox.raw_body).toBeNull();
  });

  it('keeps the pseudonymous skeleton of the events, without identifying evidence', async () => {
    const { subjectId } = await forgottenPerson();
    const [event] = await db.query<{ status: string; evidence: object; sealed_evidence: Buffer | null }>(
      `SELECT status, evidence, sealed_evidence FROM consent_event WHERE subject_id = $1`,
      [subjectId],
    );
    expect(event).toEqual({
      status: 'granted',
      evidence: { keyword_language: 'en', phone_number_id: '1065' },
      sealed_evidence: null,
    });
  });

  it('destroys the person key, so copies of their ciphertexts can no longer be opened', async () => {
    const { subjectId, identities } = await forgottenPerson();
    expect(await db.query(`SELECT 1 FROM subject_key WHERE subject_id = $1`, [subjectId])).toEqual([]);
    const opener = await ctx.get(SubjectKeyService).opener(identities.map((i) => i.key_id));
    expect(identities.length).toBe(3);
    for (const copy of identities)
      expect(opener.open({ ciphertext: copy.value_ciphertext, keyId: copy.key_id })).toBeNull();
  });

  it('marks the person erased and runs the forgotten hooks in the same transaction', async () => {
    const { subjectId } = await forgottenPerson();
    const hooked = forgottenInTransaction.find((f) => f.subjectId === subjectId);
    expect(hooked?.erasedAt).not.toBeNull();
  });

  it('reports zeros when the person is forgotten again', async () => {
    const { subjectId } = await forgottenPerson();
    expect(await forget(subjectId)).toEqual({
      identitiesRemoved: 0,
      eventsStripped: 0,
      inboxBodiesPurged: 0,
      suppressed: 0,
    });
  });

  it('forgets a person merged into the one erased, destroying their key too', async () => {
    const a = newPerson();
    const b = newPerson();
    const { subjectId: first } = await record(whatsappOptIn(a));
    const { subjectId: second } = await record(whatsappOptIn(b));
    const identities = ctx.get(IdentityService);
    const survivor = await ledger.transaction((m) =>
      ledger.resolvePreparedSubject(
        m,
        identities.prepare([
          { kind: 'phone', value: a.phone },
          { kind: 'email', value: b.email },
        ]),
        { source: 'hubspot', reason: 'crm_record_joined_identifiers', evidence: {} },
      ),
    );
    await forget(survivor);
    expect(
      await db.query(`SELECT subject_id FROM subject_key WHERE subject_id = ANY($1::uuid[])`, [
        [first, second],
      ]),
    ).toEqual([]);
    expect(await findPlaintext(db, [a.waId, b.waId, a.email, b.email])).toEqual([]);
  });

  describe('the consent check', () => {
    it('answers erased by the phone of a forgotten person', async () => {
      const { p } = await forgottenPerson();
      expect(await query.check({ phone: p.phone })).toEqual({
        allowed: false,
        status: 'unknown',
        reason: 'erased',
        scope: ALL_SCOPES,
        captured_at: null,
      });
    });

    it('answers erased by the subject id of a forgotten person', async () => {
      const { subjectId } = await forgottenPerson();
      expect((await query.check({ subject_id: subjectId })).reason).toBe('erased');
    });

    it('answers erased once erasure is requested, before the person is forgotten', async () => {
      const p = newPerson();
      const { subjectId } = await record(whatsappOptIn(p));
      expect((await query.check({ email: p.email })).reason).toBe('consent_granted');
      announced.clear();
      await ledger.transaction((m) => erasure.markErasureRequested(m, subjectId));
      await eventually(async () => announced.has(subjectId));
      expect(await query.check({ email: p.email })).toMatchObject({ allowed: false, reason: 'erased' });
    });
  });

  describe('suppression', () => {
    it('lists every identifier of the forgotten person for importers', async () => {
      const { p, subjectId } = await forgottenPerson();
      const prepared = ctx.get(IdentityService).prepare([
        { kind: 'wa_id', value: p.waId },
        { kind: 'email', value: p.email },
        { kind: 'email', value: 'someone-else@example.org' },
      ]);
      const found = await ledger.transaction((m) => erasure.suppressedAmong(m, prepared));
      expect([...found.values()]).toEqual([subjectId, subjectId, subjectId]);
    });

    it('creates nobody when an API import names a suppressed phone', async () => {
      const { p } = await forgottenPerson();
      const result = await record(apiGrant(p.phone));
      expect(result.effect).toBe('suppressed');
      expect(await findPlaintext(db, [p.phone])).toEqual([]);
    });

    it('answers an API batch item naming a suppressed phone as suppressed, recording the others', async () => {
      const { p } = await forgottenPerson();
      const other = newPerson();
      const item = (event_id: string, phone: string) => ({
        event_id,
        phone,
        purpose: 'marketing',
        channel: 'whatsapp' as const,
        status: 'granted' as const,
        captured_at: TUESDAY.toISOString(),
      });
      const results = await ctx
        .get(ConsentCommandService)
        .record(
          [item(newEventId('form'), p.phone), item(newEventId('form'), other.phone)],
          { keyId: 'key-1', name: 'forms', scopes: ['consent:write'] },
          (i) => `events.${i}.`,
        );
      expect(results.map((r) => [r.status, r.effect, r.subject_id === null])).toEqual([
        ['suppressed', 'suppressed', true],
        ['recorded', 'changed', false],
      ]);
      expect(await findPlaintext(db, [p.phone])).toEqual([]);
    });

    it('records a stale grant with blocked_by when a CRM grant arrives after the erasure request', async () => {
      const p = newPerson();
      const { subjectId } = await record(whatsappOptIn(p, { status: 'withdrawn' }));
      await ledger.transaction((m) => erasure.markErasureRequested(m, subjectId));
      const result = await record({
        ...apiGrant(p.phone),
        source: 'hubspot',
        actor: 'crm',
        method: 'crm_sync',
      });
      const [event] = await db.query<{ effect: string; evidence: Record<string, unknown> }>(
        `SELECT effect, evidence FROM consent_event WHERE id = $1`,
        [result.eventId],
      );
      expect(event).toEqual({ effect: 'stale', evidence: { blocked_by: 'erasure_requested' } });
    });

    it('starts a new relationship when the person themselves opts in on WhatsApp again', async () => {
      const { p, subjectId } = await forgottenPerson();
      const again = await record(whatsappOptIn(p, { evidence: {}, sealedEvidence: undefined }));
      expect(again.subjectId).not.toBe(subjectId);
      const [event] = await db.query<{ evidence: Record<string, unknown> }>(
        `SELECT evidence FROM consent_event WHERE id = $1`,
        [again.eventId],
      );
      expect(event.evidence).toEqual({ new_relationship_after_erasure: true });
      const lifted = await db.query<{ lifted_reason: string | null }>(
        `SELECT lifted_reason FROM suppression WHERE subject_id = $1`,
        [subjectId],
      );
      expect(lifted.map((l) => l.lifted_reason)).toEqual([
        'new_relationship',
        'new_relationship',
        'new_relationship',
      ]);
      expect((await query.check({ phone: p.phone })).reason).toBe('consent_granted');
    });

    it('finds the erased skeleton by a suppressed identifier', async () => {
      const { p, subjectId } = await forgottenPerson();
      expect(await reader.findSubject({ email: p.email })).toEqual({
        subjectId,
        erasureRequested: true,
        erased: true,
        forgotten: true,
        restricted: false,
        objected: false,
      });
    });
  });
});
