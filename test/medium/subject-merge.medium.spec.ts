import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { NotificationListener } from '../../src/platform/database/notification-listener';
import { ConsentQueryService } from '../../src/modules/ledger/consent-query.service';
import { IdentityService } from '../../src/modules/ledger/identity.service';
import { LedgerReader } from '../../src/modules/ledger/ledger.reader';
import {
  CONSENT_CHANGED_CHANNEL,
  LedgerService,
  type MergeEvidence,
  type RecordConsentInput,
} from '../../src/modules/ledger/ledger.service';
import { ALL_SCOPES, type IdentityInput } from '../../src/modules/ledger/ledger.types';
import { SubjectTimelineService } from '../../src/modules/ledger/subject-timeline.service';
import { eventually, startTestContext } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

const NUMBER_A = '106540352242922';
const MONDAY = new Date('2025-06-02T09:00:00Z');
const TUESDAY = new Date('2025-06-03T09:00:00Z');
const WEDNESDAY = new Date('2025-06-04T09:00:00Z');

let sequence = 0;
/** A new person's identifiers: a WhatsApp number (digits) and an email, different for every call. */
function newPerson() {
  const n = String(4000 + ++sequence).padStart(4, '0');
  return {
    waId: `1650555${n}`,
    phone: `+1650555${n}`,
    email: `merge-${n}-${randomBytes(3).toString('hex')}@example.org`,
  };
}
const newEventId = (prefix: string) => `${prefix}.${randomBytes(8).toString('hex')}`;

/** The email person's grant of every number, through the API. */
const apiGrant = (email: string, capturedAt: Date): RecordConsentInput => ({
  source: 'api',
  sourceEventId: newEventId('api'),
  identities: [{ kind: 'email', value: email }],
  purpose: 'marketing',
  channel: 'whatsapp',
  scope: null,
  status: 'granted',
  method: 'web_form',
  actor: 'subject',
  capturedAt,
  receivedAt: capturedAt,
});

/** The phone person's STOP to one business number, on WhatsApp. */
const whatsappStop = (waId: string, capturedAt: Date): RecordConsentInput => ({
  source: 'whatsapp',
  sourceEventId: newEventId('wamid'),
  identities: [{ kind: 'wa_id', value: waId }],
  purpose: 'marketing',
  channel: 'whatsapp',
  scope: NUMBER_A,
  status: 'withdrawn',
  method: 'wa_keyword',
  actor: 'subject',
  capturedAt,
  receivedAt: capturedAt,
});

const CRM_JOIN: MergeEvidence = {
  source: 'hubspot',
  reason: 'crm_record_joined_identifiers',
  evidence: { connection_id: 'conn-1', record: 'contact' },
};

describe('merging the people a CRM record joins', () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let ledger: LedgerService;
  let identities: IdentityService;
  let query: ConsentQueryService;
  let timelines: SubjectTimelineService;
  let reader: LedgerReader;
  const mergeCalls: { survivorId: string; mergedIds: string[] }[] = [];
  const stateChanges: { subjectId: string; eventId: string; originConnectionId: string | null }[] = [];
  /** Subjects whose state change this process has been told about (by NOTIFY, after commit). */
  const announced = new Set<string>();

  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = await startTestContext(db.url);
    ledger = ctx.get(LedgerService);
    identities = ctx.get(IdentityService);
    query = ctx.get(ConsentQueryService);
    timelines = ctx.get(SubjectTimelineService);
    reader = ctx.get(LedgerReader);
    const listener = ctx.get(NotificationListener);
    listener.on(CONSENT_CHANGED_CHANNEL, (subjectId) => announced.add(subjectId));
    await listener.waitUntilLive();
    ledger.onSubjectsMerged(async (_manager, merge) => {
      mergeCalls.push(merge);
    });
    ledger.onStateChanged(async (_manager, changes) => {
      stateChanges.push(...changes);
    });
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  beforeEach(() => {
    mergeCalls.length = 0;
    stateChanges.length = 0;
  });

  const record = (input: RecordConsentInput) => ledger.transaction((m) => ledger.recordConsent(m, input));
  /** What a CRM record naming this phone and email resolves to, with or without merge evidence. */
  const crmRecord = (person: { phone: string; email: string }, merge: MergeEvidence | null = CRM_JOIN) => {
    const given: IdentityInput[] = [
      { kind: 'phone', value: person.phone },
      { kind: 'email', value: person.email },
    ];
    return ledger.transaction((m) =>
      ledger.resolvePreparedSubject(m, identities.prepare(given), merge ?? undefined),
    );
  };
  const count = async (sql: string, params: unknown[]) =>
    Number((await db.query<{ n: string }>(sql, params))[0].n);
  const checkBy = (lookup: { phone: string } | { email: string }, scope = ALL_SCOPES) =>
    query.check({ ...lookup, scope });

  /** An email-only person granted on Monday (API) and a phone-only person who withdrew on Tuesday (WhatsApp). */
  async function twoPeople(phoneFirst = false) {
    const person = newPerson();
    const steps = [
      () => record(apiGrant(person.email, MONDAY)),
      () => record(whatsappStop(person.waId, TUESDAY)),
    ];
    if (phoneFirst) steps.reverse();
    const first = await steps[0]();
    const second = await steps[1]();
    const [grant, stop] = phoneFirst ? [second, first] : [first, second];
    return { person, grant, stop, oldest: first.subjectId, newest: second.subjectId };
  }

  describe('two people found by different identifiers', () => {
    it.each([
      ['the email person is older', false],
      ['the phone person is older', true],
    ])('become the oldest of them, withdrawn by the later capture, when %s', async (_label, phoneFirst) => {
      const { person, grant, stop, oldest, newest } = await twoPeople(phoneFirst);
      expect(grant.subjectId).not.toBe(stop.subjectId);
      // Each person's answer is held in memory before the merge (read once their own changes were
      // announced, so it stays there): the merge must make memory forget both.
      await eventually(async () => announced.has(grant.subjectId) && announced.has(stop.subjectId));
      expect(await checkBy({ email: person.email })).toMatchObject({ status: 'granted' });
      expect(await checkBy({ phone: person.phone }, NUMBER_A)).toMatchObject({ status: 'withdrawn' });

      const survivor = await crmRecord(person);

      expect(survivor).toBe(oldest);
      const rows = await db.query<{ merged_into: string | null }>(
        `SELECT merged_into FROM subject WHERE id = $1`,
        [newest],
      );
      expect(rows[0].merged_into).toBe(oldest);
      // The NOTIFY that drops what memory holds arrives after the commit.
      await eventually(async () => (await checkBy({ email: person.email })).status === 'withdrawn');
      for (const lookup of [{ email: person.email }, { phone: person.phone }])
        for (const scope of [ALL_SCOPES, NUMBER_A])
          expect(await checkBy(lookup, scope)).toMatchObject({ allowed: false, reason: 'consent_withdrawn' });
    });

    it('keeps the later grant in force when the grant was captured after the withdrawal', async () => {
      const person = newPerson();
      await record(apiGrant(person.email, TUESDAY));
      await record(whatsappStop(person.waId, MONDAY));

      await crmRecord(person);

      await eventually(async () => (await checkBy({ phone: person.phone }, NUMBER_A)).status === 'granted');
      expect(await checkBy({ email: person.email }, NUMBER_A)).toMatchObject({ allowed: true });
    });

    it('moves every identifier to the survivor and leaves the absorbed person no state of their own', async () => {
      const { person, oldest, newest } = await twoPeople();

      await crmRecord(person);

      expect(await count(`SELECT count(*) AS n FROM subject_identity WHERE subject_id = $1`, [newest])).toBe(
        0,
      );
      expect(await count(`SELECT count(*) AS n FROM consent_state WHERE subject_id = $1`, [newest])).toBe(0);
      const kinds = await db.query<{ kind: string }>(
        `SELECT kind FROM subject_identity WHERE subject_id = $1 ORDER BY kind`,
        [oldest],
      );
      expect(kinds.map((k) => k.kind)).toEqual(['email', 'phone', 'wa_id']);
    });

    it('records the merge with its evidence, and no identifier value in it', async () => {
      const { person, oldest, newest } = await twoPeople();

      await crmRecord(person);

      const merges = await db.query<{ survivor_id: string; reason: string; evidence: unknown }>(
        `SELECT survivor_id, reason, evidence FROM subject_merge WHERE merged_id = $1`,
        [newest],
      );
      expect(merges).toEqual([
        {
          survivor_id: oldest,
          reason: 'crm_record_joined_identifiers',
          evidence: { source: 'hubspot', connection_id: 'conn-1', record: 'contact' },
        },
      ]);
      const text = JSON.stringify(merges);
      expect(text).not.toContain(person.email);
      expect(text).not.toContain(person.waId);
    });

    it('refuses to rewrite a recorded merge', async () => {
      const { person, newest } = await twoPeople();
      await crmRecord(person);

      await expect(
        db.query(`UPDATE subject_merge SET reason = reason WHERE merged_id = $1`, [newest]),
      ).rejects.toThrow(/append-only/);
      await expect(db.query(`DELETE FROM subject_merge WHERE merged_id = $1`, [newest])).rejects.toThrow(
        /append-only/,
      );
    });

    it('runs the merge hooks with the survivor and the absorbed, then the state-changed hooks with the event in force', async () => {
      const { person, stop, oldest, newest } = await twoPeople();
      stateChanges.length = 0;

      await crmRecord(person);

      expect(mergeCalls).toEqual([{ survivorId: oldest, mergedIds: [newest] }]);
      expect(stateChanges).toEqual([
        expect.objectContaining({ subjectId: oldest, eventId: stop.eventId, originConnectionId: null }),
      ]);
    });

    it('changes nothing when the same record is seen again', async () => {
      const { person, oldest } = await twoPeople();
      await crmRecord(person);
      mergeCalls.length = 0;
      stateChanges.length = 0;

      expect(await crmRecord(person)).toBe(oldest);

      expect(mergeCalls).toEqual([]);
      expect(stateChanges).toEqual([]);
      expect(await count(`SELECT count(*) AS n FROM subject_merge WHERE survivor_id = $1`, [oldest])).toBe(1);
    });
  });

  describe('after the merge', () => {
    it('applies a later grant from either identifier to the survivor', async () => {
      const { person, oldest } = await twoPeople();
      await crmRecord(person);

      const regrant = await record({
        ...whatsappStop(person.waId, WEDNESDAY),
        status: 'granted',
        method: 'wa_button',
      });

      expect(regrant).toMatchObject({ subjectId: oldest, effect: 'changed' });
      await eventually(async () => (await checkBy({ email: person.email }, NUMBER_A)).allowed);
    });

    it('writes an event for the absorbed subject id as the survivor', async () => {
      const { person, oldest, newest } = await twoPeople();
      await crmRecord(person);

      const result = await record({
        ...apiGrant(person.email, WEDNESDAY),
        identities: undefined,
        subjectId: newest,
        scope: NUMBER_A,
      });

      expect(result.subjectId).toBe(oldest);
      expect(await count(`SELECT count(*) AS n FROM consent_state WHERE subject_id = $1`, [newest])).toBe(0);
    });

    it("shows both people's events and the merge on the survivor's timeline", async () => {
      const { person, grant, stop, oldest, newest } = await twoPeople();
      await crmRecord(person);

      const timeline = await timelines.timeline(oldest);

      expect(timeline).toMatchObject({ subject_id: oldest, redirected_from: null });
      expect(timeline.events.map((e) => [e.id, e.subject_id, e.status])).toEqual([
        [grant.eventId, oldest, 'granted'],
        [stop.eventId, newest, 'withdrawn'],
      ]);
      expect(timeline.merges).toEqual([
        expect.objectContaining({ merged_subject_id: newest, into_subject_id: oldest }),
      ]);
    });

    it("answers the absorbed id's timeline and states with the survivor's, saying so", async () => {
      const { person, oldest, newest } = await twoPeople();
      await crmRecord(person);

      const timeline = await timelines.timeline(newest);
      const states = await query.states({ subject_id: newest });

      expect(timeline).toMatchObject({ subject_id: oldest, redirected_from: newest });
      expect(timeline.events).toHaveLength(2);
      expect(states).toMatchObject({ subject_id: oldest, redirected_from: newest });
      expect(states.states.map((s) => [s.scope, s.status])).toEqual([
        [ALL_SCOPES, 'granted'],
        [NUMBER_A, 'withdrawn'],
      ]);
    });

    it("gives a push for the absorbed id the survivor's identifiers and states", async () => {
      const { person, newest } = await twoPeople();
      await crmRecord(person);

      const pushed = (await reader.personsForPush([newest])).get(newest);

      expect(pushed).toMatchObject({ emails: [person.email], phones: [person.phone], waId: person.waId });
      expect(pushed?.states.map((s) => [s.scope, s.status])).toEqual([
        [ALL_SCOPES, 'granted'],
        [NUMBER_A, 'withdrawn'],
      ]);
    });

    it('follows a later merge of the survivor: everyone answers for the final, oldest person', async () => {
      const older = newPerson();
      const first = await record(apiGrant(older.email, MONDAY));
      const { person, stop, oldest: middle } = await twoPeople();
      await crmRecord(person);
      // A later record joins the merged person's phone to the older person's email.
      await crmRecord({ phone: person.phone, email: older.email });

      const timeline = await timelines.timeline(stop.subjectId);
      const written = await record({ ...whatsappStop(person.waId, WEDNESDAY), status: 'granted' });

      expect(timeline).toMatchObject({ subject_id: first.subjectId, redirected_from: stop.subjectId });
      expect(timeline.events).toHaveLength(3);
      expect(timeline.merges.map((m) => [m.merged_subject_id, m.into_subject_id])).toEqual([
        [stop.subjectId, middle],
        [middle, first.subjectId],
      ]);
      expect(written.subjectId).toBe(first.subjectId);
      const merged = await db.query<{ merged_into: string }>(
        `SELECT merged_into FROM subject WHERE id = ANY($1::uuid[])`,
        [[stop.subjectId, middle]],
      );
      expect(merged.map((r) => r.merged_into)).toEqual([first.subjectId, first.subjectId]);
    });
  });

  describe('people left apart', () => {
    it('never merges an erased person', async () => {
      const { person, grant, stop } = await twoPeople();
      await db.query(`UPDATE subject SET erased_at = now() WHERE id = $1`, [stop.subjectId]);

      await crmRecord(person);

      expect(
        await count(`SELECT count(*) AS n FROM subject_merge WHERE merged_id = ANY($1::uuid[])`, [
          [grant.subjectId, stop.subjectId],
        ]),
      ).toBe(0);
      expect(
        await count(`SELECT count(*) AS n FROM subject_identity WHERE subject_id = $1`, [stop.subjectId]),
      ).toBe(2);
    });

    it('keeps an identifier with its owner when resolved without merge evidence', async () => {
      const { person, grant, stop } = await twoPeople();

      expect(await crmRecord(person, null)).toBe(grant.subjectId);

      expect(mergeCalls).toEqual([]);
      expect(
        await count(`SELECT count(*) AS n FROM subject_identity WHERE subject_id = $1`, [stop.subjectId]),
      ).toBe(2);
    });
  });
});
