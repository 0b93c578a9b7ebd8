import { randomBytes, randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { LedgerReader } from '../../src/modules/ledger/ledger.reader';
import { LedgerService, type RecordConsentInput } from '../../src/modules/ledger/ledger.service';
import { ALL_SCOPES } from '../../src/modules/ledger/ledger.types';
import { startTestContext } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

const NUMBER_A = '106540352242922';
const BASE = Date.UTC(2025, 5, 1, 9, 0, 0);
const at = (minutes: number) => new Date(BASE + minutes * 60_000);

let sequence = 0;
/** A valid US number in WhatsApp's digits-only form, different for every call. */
const newWaId = () => `1650555${String(3000 + ++sequence).padStart(4, '0')}`;
const newEventId = () => `wamid.${randomBytes(8).toString('hex')}`;

/** A WhatsApp STOP for one business number by a new person, captured at minute 0, unless overridden. */
function consentInput(overrides: Partial<RecordConsentInput> = {}): RecordConsentInput {
  return {
    source: 'whatsapp',
    sourceEventId: newEventId(),
    identities: [{ kind: 'wa_id', value: newWaId() }],
    purpose: 'marketing',
    channel: 'whatsapp',
    scope: NUMBER_A,
    status: 'withdrawn',
    method: 'wa_keyword',
    actor: 'subject',
    capturedAt: at(0),
    receivedAt: at(0),
    ...overrides,
  };
}

describe(LedgerReader.name, () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let ledger: LedgerService;
  let reader: LedgerReader;

  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = await startTestContext(db.url);
    ledger = ctx.get(LedgerService);
    reader = ctx.get(LedgerReader);
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  const record = (input: RecordConsentInput) => ledger.transaction((m) => ledger.recordConsent(m, input));

  describe('personsForPush', () => {
    it('gives every person asked about an entry, empty for one the ledger does not know', async () => {
      const unknown = randomUUID();

      const people = await reader.personsForPush([unknown]);

      expect([...people.keys()]).toEqual([unknown]);
      expect(people.get(unknown)).toEqual({
        phones: [],
        waId: null,
        emails: [],
        states: [],
        restricted: false,
      });
    });

    it("says whether the person's processing is restricted, so a push keeps showing the restriction", async () => {
      const { subjectId } = await record(consentInput());
      await db.query(`UPDATE subject SET restricted_at = now() WHERE id = $1`, [subjectId]);
      expect((await reader.personsForPush([subjectId])).get(subjectId)).toMatchObject({ restricted: true });
    });

    it('gives every phone and email of the person, oldest first, and their wa_id, decrypted', async () => {
      const waId = newWaId();
      const first = await record(
        consentInput({
          identities: [
            { kind: 'wa_id', value: waId },
            { kind: 'email', value: 'First@Example.com' },
          ],
        }),
      );
      await record(
        consentInput({
          subjectId: first.subjectId,
          identities: [{ kind: 'email', value: 'second@example.com' }],
          capturedAt: at(1),
        }),
      );

      const person = (await reader.personsForPush([first.subjectId])).get(first.subjectId);

      expect(person).toMatchObject({
        phones: [`+${waId}`],
        waId,
        emails: ['first@example.com', 'second@example.com'],
      });
    });

    it('gives the states in force, with how and on what basis the event that set them was expressed', async () => {
      const withdrawal = await record(consentInput({ capturedAt: at(0) }));
      const grant = await record(
        consentInput({
          subjectId: withdrawal.subjectId,
          identities: [],
          source: 'api',
          method: 'web_form',
          actor: 'automation',
          legalBasis: 'consent',
          scope: ALL_SCOPES,
          status: 'granted',
          capturedAt: at(5),
        }),
      );

      const person = (await reader.personsForPush([withdrawal.subjectId])).get(withdrawal.subjectId)!;

      // The later grant of every number is in force for the number withdrawn earlier, too.
      const granted = {
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        capturedAt: at(5).toISOString(),
        source: 'api',
        eventId: grant.eventId,
        method: 'web_form',
        legalBasis: 'consent',
      };
      expect(person.states).toEqual([
        { ...granted, scope: ALL_SCOPES },
        { ...granted, scope: NUMBER_A },
      ]);
    });

    it('answers for several people at once, each with their own states', async () => {
      const a = await record(consentInput());
      const b = await record(consentInput({ status: 'granted', capturedAt: at(2) }));

      const people = await reader.personsForPush([a.subjectId, b.subjectId, a.subjectId]);

      expect(people.size).toBe(2);
      expect(people.get(a.subjectId)!.states.map((s) => [s.scope, s.status, s.eventId])).toEqual([
        [NUMBER_A, 'withdrawn', a.eventId],
      ]);
      expect(people.get(b.subjectId)!.states.map((s) => [s.scope, s.status, s.eventId])).toEqual([
        [NUMBER_A, 'granted', b.eventId],
      ]);
    });
  });

  describe('eventStatus', () => {
    it('gives the status an event recorded', async () => {
      const { eventId } = await record(consentInput({ status: 'granted' }));

      expect(await reader.eventStatus(eventId)).toBe('granted');
    });

    it('gives null for an unknown event id, and for one that is not a UUID at all', async () => {
      expect(await reader.eventStatus(randomUUID())).toBeNull();
      expect(await reader.eventStatus('not-a-ledger-id')).toBeNull();
    });

    it("reads in the caller's transaction, which sees its own uncommitted event", async () => {
      const status = await ledger.transaction(async (manager) => {
        const { eventId } = await ledger.recordConsent(manager, consentInput());
        return reader.eventStatus(eventId, manager);
      });

      expect(status).toBe('withdrawn');
    });
  });

  describe('overviewFigures', () => {
    it('counts states in force and people per status, changing withdrawals today, and events per UTC day', async () => {
      const before = await reader.overviewFigures(14);
      const stop = consentInput({ capturedAt: new Date() });
      const first = await record(stop);
      // A repeated STOP confirms: it is an event of the day, but not a withdrawal that changed anything.
      await record(consentInput({ subjectId: first.subjectId, identities: [], capturedAt: new Date() }));
      await record(consentInput({ status: 'granted', scope: ALL_SCOPES, capturedAt: new Date() }));

      const after = await reader.overviewFigures(14);

      expect(after.consent).toEqual({
        granted: before.consent.granted + 1,
        withdrawn: before.consent.withdrawn + 1,
        subjects_granted: before.consent.subjects_granted + 1,
        subjects_withdrawn: before.consent.subjects_withdrawn + 1,
      });
      expect(after.withdrawals_today).toBe(before.withdrawals_today + 1);
      const today = new Date().toISOString().slice(0, 10);
      expect(after.events_per_day).toHaveLength(14);
      expect(after.events_per_day[13]).toEqual({
        day: today,
        granted: before.events_per_day[13].granted + 1,
        withdrawn: before.events_per_day[13].withdrawn + 2,
      });
      const days = after.events_per_day.map((d) => Date.parse(`${d.day}T00:00:00Z`));
      expect(days.slice(1).map((d, i) => d - days[i])).toEqual(Array(13).fill(86_400_000));
    });

    it('gives the same figures as its parts', async () => {
      const figures = await reader.overviewFigures(3);

      expect(figures).toEqual({
        consent: await reader.consentTotals(),
        withdrawals_today: await reader.withdrawalsToday(),
        events_per_day: await reader.eventsPerDay(3),
      });
    });
  });
});
