import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RecordLinks } from '../../src/modules/connectors/record-links.service';
import { startTestContext } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * When the importer says a person's records at a connection do not show their current state, propagation makes
 * sure one push is on its way: an open delivery is made due now, a delivery skipped because the vendor had no
 * record is re-opened, one in progress is left to finish, and otherwise a new delivery is planned.
 */
describe('records behind the person: re-open or plan (propagation behind RecordLinks.recordsBehind)', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let connectionId = '';

  const row = async <T>(sql: string, params: unknown[] = []) => (await db.query<T>(sql, params))[0];
  const person = async () =>
    (await row<{ id: string }>(`INSERT INTO subject DEFAULT VALUES RETURNING id`)).id;
  const delivery = (subjectId: string, status: string, reason: string | null, nextAttemptAt = 'now()') =>
    row<{ id: string }>(
      `INSERT INTO delivery (connection_id, subject_id, operation, status, reason, next_attempt_at, created_at,
                             completed_at)
       VALUES ($1, $2, 'consent_update', $3, $4, ${nextAttemptAt}, clock_timestamp(),
               CASE WHEN $3 IN ('succeeded','skipped','dead') THEN clock_timestamp() END) RETURNING id`,
      [connectionId, subjectId, status, reason],
    ).then((r) => r.id);
  const deliveriesOf = (subjectId: string) =>
    db.query<{ id: string; status: string; reason: string | null; due: boolean; attempts: number }>(
      `SELECT id, status, reason, next_attempt_at <= now() AS due, attempts FROM delivery
        WHERE subject_id = $1 ORDER BY created_at`,
      [subjectId],
    );
  /** The importer read these people's records (an hour ago unless said otherwise) and found them behind. */
  const behind = (subjectIds: string[], readAt = new Date(Date.now() - 3_600_000)) =>
    app
      .get(DataSource)
      .transaction((m) => app.get(RecordLinks).recordsBehind(m, connectionId, subjectIds, readAt));

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestContext(db.url);
    const vendorId = (await row<{ id: string }>(`INSERT INTO vendor (name) VALUES ('CRM') RETURNING id`)).id;
    connectionId = (
      await row<{ id: string }>(
        `INSERT INTO connection (vendor_id, type, name, credentials, key_id)
         VALUES ($1, 'hubspot', 'crm', '\\x00', 'k') RETURNING id`,
        [vendorId],
      )
    ).id;
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('makes a delivery waiting for a backfill due now instead of adding another', async () => {
    const p = await person();
    const waiting = await delivery(p, 'retrying', 'waiting_for_backfill', `now() + interval '1 hour'`);
    await behind([p]);
    expect(await deliveriesOf(p)).toEqual([
      expect.objectContaining({ id: waiting, status: 'retrying', due: true }),
    ]);
  });

  it('re-opens the latest delivery skipped because the vendor had no record', async () => {
    const p = await person();
    await delivery(p, 'succeeded', null);
    const skipped = await delivery(p, 'skipped', 'not_found_at_vendor');
    await behind([p]);
    const rows = await deliveriesOf(p);
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ id: skipped, status: 'pending', reason: null, due: true, attempts: 0 });
  });

  it('leaves a delivery in progress to finish, and plans one for a person whose last delivery ended otherwise', async () => {
    const busy = await person();
    await delivery(busy, 'in_progress', null);
    const done = await person();
    await delivery(done, 'succeeded', null);
    const fresh = await person();
    // Read after every delivery above ended.
    await behind([busy, done, fresh], new Date(Date.now() + 1_000));
    expect((await deliveriesOf(busy)).map((d) => d.status)).toEqual(['in_progress']);
    expect((await deliveriesOf(done)).map((d) => d.status)).toEqual(['succeeded', 'pending']);
    expect((await deliveriesOf(fresh)).map((d) => d.status)).toEqual(['pending']);
  });

  it('trusts a push that succeeded after the records were read: that read was stale, nothing more is planned', async () => {
    const p = await person();
    await delivery(p, 'succeeded', null);
    await behind([p], new Date(Date.now() - 60_000));
    expect((await deliveriesOf(p)).map((d) => d.status)).toEqual(['succeeded']);
    // Read after that push: the record really is behind.
    await behind([p], new Date(Date.now() + 1_000));
    expect((await deliveriesOf(p)).map((d) => d.status)).toEqual(['succeeded', 'pending']);
  });
});
