import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ConsentBatchRecorder } from '../../src/modules/ledger/consent-batch.recorder';
import {
  LedgerService,
  type RecordConsentInput,
  type RecordConsentResult,
  type StateChange,
} from '../../src/modules/ledger/ledger.service';
import { SubjectErasureService } from '../../src/modules/ledger/subject-erasure.service';
import { startTestContext } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

const BASE = Date.UTC(2025, 5, 1, 9, 0, 0);
const at = (minutes: number) => new Date(BASE + minutes * 60_000);
let sequence = 0;
const newWaId = () => `1650555${String(3000 + ++sequence).padStart(4, '0')}`;
const newEventId = () => `wamid.${randomBytes(8).toString('hex')}`;

function whatsapp(waId: string, overrides: Partial<RecordConsentInput> = {}): RecordConsentInput {
  return {
    source: 'whatsapp',
    sourceEventId: newEventId(),
    identities: [{ kind: 'wa_id', value: waId }],
    purpose: 'marketing',
    channel: 'whatsapp',
    scope: null,
    status: 'withdrawn',
    method: 'wa_keyword',
    actor: 'subject',
    capturedAt: at(0),
    receivedAt: at(0),
    sealedEvidence: { profile_name: 'Ana' },
    ...overrides,
  };
}

/** What a run of the scenario leaves: each input's outcome, who it named (by position), and the states. */
interface Outcome {
  results: { effect: string; duplicate: boolean; person: number; evidence: string[] }[];
  states: string[][];
  eventsWritten: number;
  announced: number;
}

describe('recording a batch of consent events (ConsentBatchRecorder)', () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let ledger: LedgerService;
  let recorder: ConsentBatchRecorder;
  let erasure: SubjectErasureService;
  const changes: StateChange[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = await startTestContext(db.url);
    ledger = ctx.get(LedgerService);
    recorder = ctx.get(ConsentBatchRecorder);
    erasure = ctx.get(SubjectErasureService);
    ledger.onStateChanged(async (_manager, batch) => {
      changes.push(...batch);
    });
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  /**
   * Every case the batch must send one by one, mixed with new people: a person seen twice (STOP, then START),
   * a known person, a duplicate within the batch, an event recorded before, an erased person's number coming
   * back on WhatsApp, a CRM grant for a new person, and a grant by subject id that is older than the STOP.
   */
  async function scenario(): Promise<RecordConsentInput[]> {
    const [a, b, c, known, erased] = [newWaId(), newWaId(), newWaId(), newWaId(), newWaId()];
    const knownStop = whatsapp(known, { capturedAt: at(-10) });
    const { subjectId: knownId } = await ledger.transaction((m) => ledger.recordConsent(m, knownStop));
    const recordedBefore = whatsapp(newWaId());
    await ledger.transaction((m) => ledger.recordConsent(m, recordedBefore));
    const { subjectId: erasedId } = await ledger.transaction((m) =>
      ledger.recordConsent(m, whatsapp(erased, { status: 'granted', capturedAt: at(-20) })),
    );
    await ledger.transaction((m) => erasure.forget(m, erasedId, null));
    const bStop = whatsapp(b);
    return [
      whatsapp(a),
      bStop,
      whatsapp(a, { status: 'granted', method: 'wa_button', capturedAt: at(5) }),
      whatsapp(known, { capturedAt: at(1) }),
      { ...bStop },
      { ...recordedBefore },
      whatsapp(erased, { capturedAt: at(2) }),
      whatsapp(c, {
        source: 'hubspot',
        sourceEventId: newEventId(),
        status: 'granted',
        method: 'crm_sync',
        actor: 'crm',
        sealedEvidence: undefined,
      }),
      {
        ...whatsapp(known),
        identities: undefined,
        subjectId: knownId,
        status: 'granted',
        capturedAt: at(-30),
      },
      whatsapp(newWaId(), { scope: '106540352242922' }),
    ];
  }

  async function outcomeOf(
    inputs: RecordConsentInput[],
    record: (m: EntityManager, inputs: RecordConsentInput[]) => Promise<RecordConsentResult[]>,
  ): Promise<Outcome> {
    changes.length = 0;
    const [{ n: before }] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM consent_event`);
    const results = await ledger.transaction((m) => record(m, inputs));
    const [{ n: after }] = await db.query<{ n: string }>(`SELECT count(*) AS n FROM consent_event`);
    const people = [...new Set(results.map((r) => r.subjectId))];
    const states = await Promise.all(
      people.map(async (id) =>
        (
          await db.query<{ row: string }>(
            `SELECT scope || ':' || status || ':' || source AS row FROM consent_state WHERE subject_id = $1 ORDER BY scope`,
            [id || '00000000-0000-0000-0000-000000000000'],
          )
        ).map((r) => r.row),
      ),
    );
    const evidence = new Map(
      (
        await db.query<{ id: string; keys: string[] }>(
          `SELECT id, ARRAY(SELECT jsonb_object_keys(evidence) ORDER BY 1) AS keys FROM consent_event
            WHERE id = ANY($1::uuid[])`,
          [results.map((r) => r.eventId).filter(Boolean)],
        )
      ).map((r) => [r.id, r.keys]),
    );
    return {
      results: results.map((r) => ({
        effect: r.effect,
        duplicate: r.duplicate,
        person: people.indexOf(r.subjectId),
        evidence: evidence.get(r.eventId) ?? [],
      })),
      states,
      eventsWritten: Number(after) - Number(before),
      announced: changes.length,
    };
  }

  const oneByOne = async (m: EntityManager, inputs: RecordConsentInput[]) => {
    const out: RecordConsentResult[] = [];
    for (const input of inputs) out.push(await ledger.recordConsent(m, input));
    return out;
  };

  it('has the outcome of recording each event in order, for every kind of event a batch may hold', async () => {
    const batched = await outcomeOf(await scenario(), (m, inputs) => recorder.recordMany(m, inputs));
    const sequential = await outcomeOf(await scenario(), oneByOne);

    expect(batched).toEqual(sequential);
    // The scenario is what it says: a person's STOP then START, duplicates, an older grant made stale.
    expect(batched.results.map((r) => (r.duplicate ? 'duplicate' : r.effect))).toEqual([
      'changed',
      'changed',
      'changed',
      'confirmed',
      'duplicate',
      'duplicate',
      'changed',
      'changed',
      'stale',
      'changed',
    ]);
    expect(batched.results[2].person).toBe(batched.results[0].person);
    expect(batched.results[8].person).toBe(batched.results[3].person);
    expect(batched.eventsWritten).toBe(8);
    // The erased person's number came back on WhatsApp: a new relationship, as evidence says.
    expect(batched.results[6].evidence).toContain('new_relationship_after_erasure');
  });

  it('writes new people set-wise with their identities, keys, sealed evidence and propagation plans', async () => {
    const inputs = Array.from({ length: 40 }, () => whatsapp(newWaId()));
    changes.length = 0;
    let statements = 0;
    const results = await ledger.transaction((m) => {
      // Counts the round trips of the batch (every ledger write goes through manager.query).
      const counted = new Proxy(m, {
        get: (target, prop, receiver) =>
          prop === 'query'
            ? (...args: Parameters<EntityManager['query']>) => {
                statements++;
                return target.query(...args);
              }
            : Reflect.get(target, prop, receiver),
      });
      return recorder.recordMany(counted, inputs);
    });

    // Set-wise: a handful of statements for the whole batch, where one by one takes ten or more per event.
    expect(statements).toBeLessThan(20);

    expect(results.every((r) => r.effect === 'changed' && !r.duplicate)).toBe(true);
    const ids = results.map((r) => r.subjectId);
    expect(new Set(ids).size).toBe(40);
    expect(changes.map((c) => c.subjectId)).toEqual(ids);
    const rows = await db.query<{ keys: string; identities: string; sealed: string; state: string }>(
      `SELECT (SELECT count(*) FROM subject_key WHERE subject_id = ANY($1::uuid[])) AS keys,
              (SELECT count(*) FROM subject_identity WHERE subject_id = ANY($1::uuid[])) AS identities,
              (SELECT count(*) FROM consent_event WHERE subject_id = ANY($1::uuid[])
                  AND sealed_evidence IS NOT NULL AND key_id LIKE 'sk:%') AS sealed,
              (SELECT count(*) FROM consent_state WHERE subject_id = ANY($1::uuid[]) AND status = 'withdrawn') AS state`,
      [ids],
    );
    // A wa_id is also a phone: two identities per person.
    expect(rows[0]).toEqual({ keys: '40', identities: '80', sealed: '40', state: '40' });
  });

  it('records the same batch a second time as duplicates only, writing nothing', async () => {
    const inputs = Array.from({ length: 5 }, () => whatsapp(newWaId()));
    await ledger.transaction((m) => recorder.recordMany(m, inputs));
    const again = await outcomeOf(inputs, (m, i) => recorder.recordMany(m, i));

    expect(again.results.every((r) => r.duplicate)).toBe(true);
    expect(again.eventsWritten).toBe(0);
    expect(again.announced).toBe(0);
  });
});
