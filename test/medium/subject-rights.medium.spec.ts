import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NotificationListener } from '../../src/platform/database/notification-listener';
import { ConsentQueryService } from '../../src/modules/ledger/consent-query.service';
import { IdentifierInvalidError, IdentifierTakenError } from '../../src/modules/ledger/ledger.errors';
import { LedgerReader } from '../../src/modules/ledger/ledger.reader';
import {
  CONSENT_CHANGED_CHANNEL,
  LedgerService,
  type RecordConsentInput,
} from '../../src/modules/ledger/ledger.service';
import { SubjectRectificationService } from '../../src/modules/ledger/subject-rectification.service';
import { SubjectRestrictionService } from '../../src/modules/ledger/subject-restriction.service';
import { eventually, startTestContext } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

const MONDAY = new Date('2025-06-02T09:00:00Z');
const TUESDAY = new Date('2025-06-03T09:00:00Z');
const WEDNESDAY = new Date('2025-06-04T09:00:00Z');

let sequence = 0;
const newPhone = () => `+1650555${String(8000 + ++sequence).padStart(4, '0')}`;
const newEmail = () => `rights-${randomBytes(4).toString('hex')}@example.org`;

/** A grant of every number on WhatsApp marketing for this phone, by whoever `actor` says. */
const grant = (phone: string, overrides: Partial<RecordConsentInput> = {}): RecordConsentInput => ({
  source: 'api',
  sourceEventId: `api.${randomBytes(8).toString('hex')}`,
  identities: [{ kind: 'phone', value: phone }],
  purpose: 'marketing',
  channel: 'whatsapp',
  scope: null,
  status: 'granted',
  method: 'web_form',
  actor: 'subject',
  capturedAt: MONDAY,
  receivedAt: MONDAY,
  ...overrides,
});

describe('the rights of a person in the ledger (restriction, rectification, objection)', () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let ledger: LedgerService;
  let query: ConsentQueryService;
  let reader: LedgerReader;
  const announced = new Set<string>();

  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = await startTestContext(db.url);
    ledger = ctx.get(LedgerService);
    query = ctx.get(ConsentQueryService);
    reader = ctx.get(LedgerReader);
    const listener = ctx.get(NotificationListener);
    listener.on(CONSENT_CHANGED_CHANNEL, (subjectId) => announced.add(subjectId));
    await listener.waitUntilLive();
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  const record = (input: RecordConsentInput) => ledger.transaction((m) => ledger.recordConsent(m, input));
  /** Runs fn in a transaction and waits until its change to the person reached this process's readers. */
  async function changing<T>(subjectId: string, fn: Parameters<LedgerService['transaction']>[0]) {
    announced.delete(subjectId);
    const result = (await ledger.transaction(fn)) as T;
    await eventually(async () => announced.has(subjectId));
    return result;
  }

  describe(SubjectRestrictionService.name, () => {
    it('makes the check answer restricted while set', async () => {
      const phone = newPhone();
      const { subjectId } = await record(grant(phone));
      await query.check({ phone });
      await changing(subjectId, (m) => ctx.get(SubjectRestrictionService).setRestricted(m, subjectId, true));
      expect(await query.check({ phone })).toEqual({
        allowed: false,
        status: 'granted',
        reason: 'restricted',
        scope: '*',
        captured_at: MONDAY.toISOString(),
      });
    });

    it('answers consent again once the restriction is lifted', async () => {
      const phone = newPhone();
      const { subjectId } = await record(grant(phone));
      const restriction = ctx.get(SubjectRestrictionService);
      await ledger.transaction((m) => restriction.setRestricted(m, subjectId, true));
      await changing(subjectId, (m) => restriction.setRestricted(m, subjectId, false));
      expect(await query.check({ phone })).toMatchObject({ allowed: true, reason: 'consent_granted' });
    });

    it('says whether it changed anything', async () => {
      const { subjectId } = await record(grant(newPhone()));
      const restriction = ctx.get(SubjectRestrictionService);
      const set = (value: boolean) =>
        ledger.transaction((m) => restriction.setRestricted(m, subjectId, value));
      expect([await set(true), await set(true), await set(false), await set(false)]).toEqual([
        true,
        false,
        true,
        false,
      ]);
    });
  });

  describe(SubjectRectificationService.name, () => {
    const rectify = (subjectId: string, changes: { phone?: string; email?: string }) =>
      ledger.transaction((m) => ctx.get(SubjectRectificationService).rectify(m, subjectId, changes));

    it('replaces the phone by the corrected one and reports both', async () => {
      const [wrong, right] = [newPhone(), newPhone()];
      const { subjectId } = await record(grant(wrong));
      expect(await rectify(subjectId, { phone: right })).toEqual({
        previous: { phones: [wrong], emails: [] },
        current: { phones: [right], emails: [] },
      });
    });

    it('finds the person by the corrected phone and nobody by the old one', async () => {
      const [wrong, right] = [newPhone(), newPhone()];
      const { subjectId } = await record(grant(wrong));
      await query.check({ phone: wrong });
      announced.delete(subjectId);
      await rectify(subjectId, { phone: right });
      await eventually(async () => announced.has(subjectId));
      expect((await query.check({ phone: right })).reason).toBe('consent_granted');
      expect((await query.check({ phone: wrong })).reason).toBe('no_consent');
    });

    it('refuses an invalid phone, naming changes.phone', async () => {
      const { subjectId } = await record(grant(newPhone()));
      await expect(rectify(subjectId, { phone: '12' })).rejects.toMatchObject({
        constructor: IdentifierInvalidError,
        errors: [{ field: 'changes.phone', message: 'is not a valid phone' }],
      });
    });

    it("refuses an email that is another person's", async () => {
      const email = newEmail();
      await record(grant(newPhone(), { identities: [{ kind: 'email', value: email }] }));
      const { subjectId } = await record(grant(newPhone()));
      await expect(rectify(subjectId, { email })).rejects.toBeInstanceOf(IdentifierTakenError);
    });
  });

  describe(`${LedgerService.name}.recordObjection`, () => {
    async function objected() {
      const phone = newPhone();
      const { subjectId } = await record(grant(phone));
      const requestId = randomUUID();
      const { eventIds } = await ledger.transaction((m) =>
        ledger.recordObjection(m, subjectId, { requestId, capturedAt: TUESDAY, receivedAt: TUESDAY }),
      );
      return { phone, subjectId, eventIds };
    }

    it('withdraws marketing on every channel for every scope', async () => {
      const { subjectId, eventIds } = await objected();
      const states = await db.query<{ channel: string; status: string; scope: string }>(
        `SELECT channel, status, scope FROM consent_state WHERE subject_id = $1 ORDER BY channel`,
        [subjectId],
      );
      expect(eventIds).toHaveLength(5);
      expect(states).toEqual(
        ['email', 'phone', 'postal', 'sms', 'whatsapp'].map((channel) => ({
          channel,
          status: 'withdrawn',
          scope: '*',
        })),
      );
    });

    it('records a later CRM grant as stale, blocked by the objection', async () => {
      const { phone } = await objected();
      const later = await record(grant(phone, { source: 'hubspot', actor: 'crm', capturedAt: WEDNESDAY }));
      const [event] = await db.query<{ effect: string; evidence: object }>(
        `SELECT effect, evidence FROM consent_event WHERE id = $1`,
        [later.eventId],
      );
      expect(event).toEqual({ effect: 'stale', evidence: { blocked_by: 'objection' } });
    });

    it("lets the person's own later opt-in count again", async () => {
      const { phone } = await objected();
      expect((await record(grant(phone, { capturedAt: WEDNESDAY }))).effect).toBe('changed');
    });

    it('is recorded once when the same request is applied again', async () => {
      const phone = newPhone();
      const { subjectId } = await record(grant(phone));
      const input = { requestId: randomUUID(), capturedAt: TUESDAY, receivedAt: TUESDAY };
      const first = await ledger.transaction((m) => ledger.recordObjection(m, subjectId, input));
      const second = await ledger.transaction((m) => ledger.recordObjection(m, subjectId, input));
      expect(second.eventIds).toEqual(first.eventIds);
    });
  });

  describe(LedgerReader.name, () => {
    it('finds a person by phone with the flags of their rights', async () => {
      const phone = newPhone();
      const { subjectId } = await record(grant(phone));
      await ledger.transaction((m) => ctx.get(SubjectRestrictionService).setRestricted(m, subjectId, true));
      expect(await reader.findSubject({ phone })).toEqual({
        subjectId,
        erasureRequested: false,
        erased: false,
        forgotten: false,
        restricted: true,
        objected: false,
      });
    });

    it('finds nobody for a phone nobody is known by', async () => {
      expect(await reader.findSubject({ phone: newPhone() })).toBeNull();
    });

    it('masks the identifier it shows', async () => {
      const phone = newPhone();
      const { subjectId } = await record(grant(phone));
      expect(await reader.maskedIdentifier(subjectId)).toBe(`+1 ••• ••• ${phone.slice(-3)}`);
    });

    it('exports the identifiers opened, the events and the states in force', async () => {
      const phone = newPhone();
      const { subjectId, eventId } = await record(grant(phone, { sealedEvidence: { ip: '198.51.100.7' } }));
      const exported = await reader.personExport(subjectId);
      expect({
        identifiers: exported.identifiers.map((i) => [i.kind, i.value]),
        events: exported.events.map((e) => [e.id, e.evidence.personal]),
        states: exported.states.map((s) => [s.channel, s.status, s.eventId]),
      }).toEqual({
        identifiers: [['phone', phone]],
        events: [[eventId, { ip: '198.51.100.7' }]],
        states: [['whatsapp', 'granted', eventId]],
      });
    });

    it('lists people inactive since a date, without consent in force, oldest first', async () => {
      const [old, granted] = [newPhone(), newPhone()];
      const { subjectId } = await record(grant(old, { status: 'withdrawn', capturedAt: MONDAY }));
      await record(grant(granted));
      const inactive = await reader.inactivePeople(new Date(Date.now() + 60_000), 10_000);
      const ids = inactive.map((p) => p.subjectId);
      expect(ids).toContain(subjectId);
      expect(inactive.find((p) => p.subjectId === subjectId)?.lastActivityAt.getTime()).toBeGreaterThan(
        MONDAY.getTime(),
      );
    });
  });
});
