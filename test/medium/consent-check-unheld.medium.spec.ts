import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { createWorkerContext } from '../../src/bootstrap';
import type { AppConfig } from '../../src/config/app-config';
import { ConsentQueryService, type CheckQuery } from '../../src/modules/ledger/consent-query.service';
import { IdentityService } from '../../src/modules/ledger/identity.service';
import { LedgerService, type RecordConsentInput } from '../../src/modules/ledger/ledger.service';
import { ALL_SCOPES } from '../../src/modules/ledger/ledger.types';
import { SubjectErasureService } from '../../src/modules/ledger/subject-erasure.service';
import { NotificationListener } from '../../src/platform/database/notification-listener';
import { eventually, testConfig } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * A phone or email the in-memory projection does not hold is answered "nobody" (or erased) from memory when
 * the projection was loaded whole while LISTEN is live; changes since the load are still read. Several
 * processes here are several application contexts on one database, each with its own LISTEN connection.
 */
let sequence = 0;
/** A valid US number in WhatsApp's digits-only form, different for every call. */
const newWaId = () => `1650555${String(3000 + ++sequence).padStart(4, '0')}`;

const optIn = (waId: string, extra: RecordConsentInput['identities'] = []): RecordConsentInput => ({
  source: 'whatsapp',
  sourceEventId: `wamid.${randomBytes(8).toString('hex')}`,
  identities: [{ kind: 'wa_id', value: waId }, ...(extra ?? [])],
  purpose: 'marketing',
  channel: 'whatsapp',
  scope: null,
  status: 'granted',
  method: 'wa_keyword',
  actor: 'subject',
  capturedAt: new Date('2025-06-02T09:00:00Z'),
  receivedAt: new Date('2025-06-02T09:00:00Z'),
});

describe(`${ConsentQueryService.name}: identifiers memory does not hold`, () => {
  let db: TestDatabase;
  let config: AppConfig;
  const started: INestApplicationContext[] = [];

  /** A process serving the API (its projection loaded), on the same database and keys as the others. */
  const startProcess = async () => {
    const ctx = await createWorkerContext({
      config,
      databaseUrl: db.url,
      roles: { api: true, worker: false },
    });
    started.push(ctx);
    const query = ctx.get(ConsentQueryService);
    await eventually(async () => query.indexStatus.state === 'ready');
    return { ctx, query, ledger: ctx.get(LedgerService), erasure: ctx.get(SubjectErasureService) };
  };
  type Process = Awaited<ReturnType<typeof startProcess>>;
  const record = (p: Process, input: RecordConsentInput) =>
    p.ledger.transaction((m) => p.ledger.recordConsent(m, input));
  const forget = (p: Process, subjectId: string) =>
    p.ledger.transaction((m) => p.erasure.forget(m, subjectId, null));
  /** The answer memory gives now, without the database (undefined: it would read it). */
  const fromMemory = (p: Process, q: CheckQuery) => p.query.checkFromMemory(q);
  /** Checks (reading the database if need be) until memory alone gives this reason. */
  const memoryAnswers = (p: Process, q: CheckQuery, reason: string) =>
    eventually(async () => {
      await p.query.check(q);
      return fromMemory(p, q)?.reason === reason;
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
  });

  afterEach(() => {
    ConsentQueryService.limits.subjects = 2_000_000;
  });

  afterAll(async () => {
    for (const ctx of started) await ctx.close();
    await db?.drop();
  });

  describe('with the projection loaded whole', () => {
    let a: Process;
    let b: Process;

    beforeAll(async () => {
      a = await startProcess();
      b = await startProcess();
    });

    it('answers a phone nobody is known by from memory, as the database would', async () => {
      const phone = `+${newWaId()}`;
      const memory = fromMemory(a, { phone });

      expect(memory).toEqual({
        allowed: false,
        status: 'unknown',
        reason: 'no_consent',
        scope: ALL_SCOPES,
        captured_at: null,
      });
      a.ctx.get(NotificationListener).live = false;
      try {
        expect(await a.query.check({ phone })).toEqual(memory);
      } finally {
        a.ctx.get(NotificationListener).live = true;
      }
    });

    it('reads a person whose consent changed again (dropped from memory, not "nobody")', async () => {
      const waId = newWaId();
      const phone = `+${waId}`;
      await record(a, optIn(waId));
      await memoryAnswers(b, { phone }, 'consent_granted');

      await record(a, { ...optIn(waId), status: 'withdrawn', capturedAt: new Date('2025-06-03T09:00:00Z') });

      await memoryAnswers(b, { phone }, 'consent_withdrawn');
    });

    it('finds a phone added to someone after the load, in the process that added it and in another', async () => {
      const waId = newWaId();
      await record(a, optIn(waId));
      const phone = `+${newWaId()}`;
      expect(fromMemory(b, { phone })?.reason).toBe('no_consent');

      // The same person, known by their WhatsApp number, now gives a second number too.
      await record(a, optIn(waId, [{ kind: 'phone', value: phone }]));

      await memoryAnswers(a, { phone }, 'consent_granted');
      await memoryAnswers(b, { phone }, 'consent_granted');
    });

    it("answers an erased person's phone erased from memory, in the erasing process and in another", async () => {
      const waId = newWaId();
      const phone = `+${waId}`;
      const { subjectId } = await record(a, optIn(waId));
      await memoryAnswers(b, { phone }, 'consent_granted');

      await forget(a, subjectId);

      await memoryAnswers(a, { phone }, 'erased');
      await memoryAnswers(b, { phone }, 'erased');
      expect(await a.query.check({ phone })).toEqual({
        allowed: false,
        status: 'unknown',
        reason: 'erased',
        scope: ALL_SCOPES,
        captured_at: null,
      });
    });

    it('answers erased from memory at once in a process loaded after the erasure (the list is loaded)', async () => {
      const waId = newWaId();
      const { subjectId } = await record(a, optIn(waId));
      await forget(a, subjectId);

      const c = await startProcess();

      expect(fromMemory(c, { phone: `+${waId}` })?.reason).toBe('erased');
      expect(fromMemory(c, { phone: `+${newWaId()}` })?.reason).toBe('no_consent');
    });

    it('lifts the erased answer when the person starts a new relationship on WhatsApp', async () => {
      const waId = newWaId();
      const phone = `+${waId}`;
      const { subjectId } = await record(a, optIn(waId));
      await forget(a, subjectId);
      await memoryAnswers(b, { phone }, 'erased');

      await record(a, optIn(waId));

      await memoryAnswers(b, { phone }, 'consent_granted');
    });
  });

  describe('with the suppression list written by hand', () => {
    it('hears of every suppression added or lifted, whoever writes it (a trigger on the table)', async () => {
      const p = await startProcess();
      const phone = `+${newWaId()}`;
      const { subjectId } = await record(p, optIn(newWaId()));
      const hash = p.ctx.get(IdentityService).lookupHash('phone', phone);
      expect(fromMemory(p, { phone })?.reason).toBe('no_consent');

      const [{ id }] = await db.query<{ id: string }>(
        `INSERT INTO suppression (kind, value_hash, subject_id) VALUES ('phone', $1, $2) RETURNING id`,
        [hash, subjectId],
      );
      await memoryAnswers(p, { phone }, 'erased');

      await db.query(
        `UPDATE suppression SET lifted_at = now(), lifted_reason = 'new_relationship' WHERE id = $1`,
        [id],
      );
      await memoryAnswers(p, { phone }, 'no_consent');
    });
  });

  describe('when the LISTEN connection is lost', () => {
    it('reads the database, for people held and not, until the projection is loaded again', async () => {
      const p = await startProcess();
      const waId = newWaId();
      const phone = `+${waId}`;
      const unknown = `+${newWaId()}`;
      const { subjectId } = await record(p, optIn(waId));
      await memoryAnswers(p, { phone }, 'consent_granted');
      expect(fromMemory(p, { phone: unknown })?.reason).toBe('no_consent');
      // Behind the ledger's back: no NOTIFY, so memory keeps its answer while it is trusted.
      await db.query(`UPDATE consent_state SET status = 'withdrawn' WHERE subject_id = $1`, [subjectId]);
      expect(fromMemory(p, { phone })?.reason).toBe('consent_granted');
      const listener = p.ctx.get(NotificationListener);
      // What memory and a check give at the moment the loss is noticed (the listener reconnects soon after).
      const atLoss = new Promise<{ known: unknown; unknown: unknown; read: Promise<unknown> }>((resolve) =>
        listener.onLost(() =>
          resolve({
            known: fromMemory(p, { phone }),
            unknown: fromMemory(p, { phone: unknown }),
            read: p.query.check({ phone }),
          }),
        ),
      );

      await db.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'consent-gateway-listen'`,
      );

      const loss = await atLoss;
      expect(loss.known).toBeUndefined();
      expect(loss.unknown).toBeUndefined();
      expect(await loss.read).toMatchObject({ allowed: false, reason: 'consent_withdrawn' });
      await eventually(async () => listener.live && p.query.indexStatus.state === 'ready');
      expect(fromMemory(p, { phone })?.reason).toBe('consent_withdrawn');
      expect(fromMemory(p, { phone: unknown })?.reason).toBe('no_consent');
    });
  });

  describe('with the projection truncated by its size limit', () => {
    it('never answers "nobody" from memory for a phone it does not hold', async () => {
      const first = await startProcess();
      const held = newWaId();
      const notHeld = newWaId();
      await record(first, optIn(held));
      await record(first, optIn(notHeld));
      const [{ n }] = await db.query<{ n: string }>(
        `SELECT count(*) AS n FROM subject WHERE erased_at IS NULL AND merged_into IS NULL`,
      );
      ConsentQueryService.limits.subjects = Number(n) - 1;

      const truncated = await startProcess();

      expect(truncated.query.indexStatus.subjects).toBe(Number(n) - 1);
      const unknown = `+${newWaId()}`;
      expect(fromMemory(truncated, { phone: unknown })).toBeUndefined();
      expect(await truncated.query.check({ phone: unknown })).toMatchObject({ reason: 'no_consent' });
      expect(fromMemory(truncated, { phone: unknown })?.reason).toBe('no_consent');
      // Whichever of the two was left out is read from the database, never answered "nobody" from memory.
      for (const waId of [held, notHeld]) {
        expect(fromMemory(truncated, { phone: `+${waId}` })?.reason).not.toBe('no_consent');
        expect(await truncated.query.check({ phone: `+${waId}` })).toMatchObject({
          reason: 'consent_granted',
        });
      }
    });
  });
});
