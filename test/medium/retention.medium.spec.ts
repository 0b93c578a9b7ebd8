import { randomBytes } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../src/config/app-config';
import { LedgerReader, LedgerService } from '../../src/modules/ledger';
import { addCalendarMonths } from '../../src/modules/requests/deadlines';
import { RequestService } from '../../src/modules/requests/request.service';
import { RetentionRunner } from '../../src/modules/requests/retention-runner';
import { ManualClock } from '../../src/platform/clock/manual-clock';
import { startTestContext, testConfig } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

const DAY = 86_400_000;
let sequence = 0;
/** A valid US number in WhatsApp's digits-only form, different for every call. */
const newWaId = () => `1650555${String(3000 + ++sequence).padStart(4, '0')}`;

/**
 * The retention rule against PostgreSQL: people are created now, and the runner is given a clock that many
 * months ahead (its only notion of time), so "inactive for 25 months" needs no backdated rows.
 */
describe(RetentionRunner.name, () => {
  let db: TestDatabase;
  let config: AppConfig;
  let ctx: INestApplicationContext;
  let ledger: LedgerService;
  const start = Date.now();

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    ctx = await startTestContext(db.url, config);
    ledger = ctx.get(LedgerService);
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  /** The runner as the module builds it, but reading a clock `months` (and `days`) from now. */
  const runnerAt = (months: number, days = 0) =>
    new RetentionRunner(
      ctx.get(LedgerReader),
      ctx.get(RequestService),
      new ManualClock(addCalendarMonths(new Date(start), months).getTime() + days * DAY),
      ctx.get(DataSource),
      config,
    );

  /** A person whose last activity is now: a WhatsApp STOP, or an opt-in (consent in force). */
  async function person(
    status: 'withdrawn' | 'granted' = 'withdrawn',
  ): Promise<{ subjectId: string; waId: string }> {
    const waId = newWaId();
    const now = new Date();
    const result = await ledger.transaction((m) =>
      ledger.recordConsent(m, {
        source: 'whatsapp',
        sourceEventId: `wamid.${randomBytes(8).toString('hex')}`,
        identities: [{ kind: 'wa_id', value: waId }],
        purpose: 'marketing',
        channel: 'whatsapp',
        scope: null,
        status,
        method: status === 'withdrawn' ? 'wa_keyword' : 'wa_button',
        actor: 'subject',
        capturedAt: now,
        receivedAt: now,
      }),
    );
    return { subjectId: result.subjectId, waId };
  }

  const retentionRequestsOf = (subjectId: string) =>
    db.query<{ id: string; type: string }>(
      `SELECT id, type FROM data_subject_request WHERE subject_id = $1 AND origin = 'retention'`,
      [subjectId],
    );

  it('reads the period from config/requests.json (24 months)', () => {
    expect(runnerAt(0).inactiveMonths).toBe(24);
  });

  it('files no erasure for a person inactive for 23 months', async () => {
    const { subjectId } = await person();
    await runnerAt(23).run();
    expect(await retentionRequestsOf(subjectId)).toEqual([]);
  });

  it('files a retention erasure for a person inactive for 25 months', async () => {
    const { subjectId } = await person();
    const { requested } = await runnerAt(25).run();
    expect(requested).toBeGreaterThanOrEqual(1);
    expect(await retentionRequestsOf(subjectId)).toEqual([{ id: expect.any(String), type: 'erasure' }]);
  });

  it('files no erasure for a person whose consent is in force, however long ago', async () => {
    const { subjectId } = await person('granted');
    await runnerAt(30).run();
    expect(await retentionRequestsOf(subjectId)).toEqual([]);
  });

  it('files each person once when it runs again', async () => {
    const { subjectId } = await person();
    await runnerAt(26).run();
    await runnerAt(26).run();
    expect(await retentionRequestsOf(subjectId)).toHaveLength(1);
  });

  describe('upcoming', () => {
    it('lists who will be erased within the window, masked, with the day', async () => {
      const { subjectId, waId } = await person();
      // 30 days before the period ends for everyone created now.
      const upcoming = await runnerAt(24, -30).upcoming(90, 500);
      const mine = upcoming.find((p) => p.subjectId === subjectId);
      expect(mine).toEqual({
        subjectId,
        lastActivityAt: expect.any(Date),
        subjectMasked: `+1 ••• ••• ${waId.slice(-3)}`,
        eraseOn: addCalendarMonths(mine!.lastActivityAt, 24),
      });
    });

    it('leaves out people whose period ends after the window, and people with consent in force', async () => {
      const inactive = await person();
      const consenting = await person('granted');
      const upcoming = await runnerAt(24, -30).upcoming(10, 500);
      const ids = upcoming.map((p) => p.subjectId);
      expect(ids).not.toContain(inactive.subjectId);
      expect(ids).not.toContain(consenting.subjectId);
    });
  });
});
