import { insertValidDpa } from '../support/registry';
import type { INestApplicationContext } from '@nestjs/common';
import { MetricsService } from '../../src/platform/metrics/metrics.service';
import { DeliveryStats } from '../../src/modules/propagation/delivery-stats.service';
import { HeldDeliveries } from '../../src/modules/propagation/held-deliveries.service';
import { VendorUsage } from '../../src/modules/vendors/vendor-usage.port';
import { startTestContext } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

/**
 * Propagation acts on the DPA gate's answer: deliveries held for a vendor without a valid DPA are released
 * once one is valid (the latest per person, the rest superseded), and the figures other modules show count
 * them, per connection (DeliveryStats) and per vendor (the registry's VendorUsage port, which propagation
 * implements). No worker runs here: a release leaves a drain job for the connection.
 */
describe('HeldDeliveries, DeliveryStats and VendorUsage', () => {
  let db: TestDatabase;
  let app: INestApplicationContext;
  let vendorId = '';
  let connectionId = '';
  const people: string[] = [];

  const row = async <T>(sql: string, params: unknown[] = []) => (await db.query<T>(sql, params))[0];
  const delivery = async (subjectId: string, status: string, reason: string | null, flags: string[] = []) =>
    (
      await row<{ id: string }>(
        `INSERT INTO delivery (connection_id, subject_id, operation, status, reason, flags, created_at)
         VALUES ($1, $2, 'consent_update', $3, $4, $5, clock_timestamp()) RETURNING id`,
        [connectionId, subjectId, status, reason, flags],
      )
    ).id;
  const statusOf = async (id: string) =>
    row<{ status: string; reason: string | null }>(`SELECT status, reason FROM delivery WHERE id = $1`, [id]);

  let older = '';
  let newer = '';
  let coveredByOpen = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestContext(db.url);
    vendorId = (await row<{ id: string }>(`INSERT INTO vendor (name) VALUES ('Held Mailer') RETURNING id`))
      .id;
    connectionId = (
      await row<{ id: string }>(
        `INSERT INTO connection (vendor_id, type, name, credentials, key_id)
         VALUES ($1, 'webhook', 'held', '\\x00', 'k') RETURNING id`,
        [vendorId],
      )
    ).id;
    for (let i = 0; i < 3; i++)
      people.push((await row<{ id: string }>(`INSERT INTO subject DEFAULT VALUES RETURNING id`)).id);
    older = await delivery(people[0], 'skipped', 'dpa_missing');
    newer = await delivery(people[0], 'skipped', 'dpa_missing');
    coveredByOpen = await delivery(people[1], 'skipped', 'dpa_missing');
    await delivery(people[1], 'pending', null);
    await delivery(people[2], 'succeeded', null, ['dpa_missing']);
  });

  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('counts held and flagged deliveries per vendor and per connection', async () => {
    const stats = app.get(DeliveryStats);
    const usage = app.get(VendorUsage);
    expect(await usage.heldAndFlaggedByVendor()).toEqual([{ vendor_id: vendorId, held: 3, flagged: 1 }]);
    expect(await stats.dpaMissingByConnection()).toEqual([
      { connection_id: connectionId, held: 3, flagged: 1 },
    ]);
    expect((await stats.countsByConnection([connectionId], new Date(0))).get(connectionId)).toMatchObject({
      succeeded: 1,
      pending: 1,
      skipped: 3,
      dead: 0,
    });
    const [ofVendor] = await usage.connectionStats(vendorId);
    expect(ofVendor).toMatchObject({
      id: connectionId,
      held_dpa_missing: 3,
      flagged_dpa_missing: 1,
      total_30d: 5,
    });
    const evidence = await usage.deliveriesOfVendor(
      vendorId,
      new Date(Date.now() - 60_000),
      new Date(Date.now() + 60_000),
      10,
    );
    expect(evidence.map((d) => d.id).slice(0, 2)).toEqual([older, newer]);
    expect(evidence[0].connection_name).toBe('held');
  });

  it('reports open deliveries per connection name and status in the queued gauge', async () => {
    const { values } = await app.get(MetricsService).deliveriesQueued.get();
    expect(values.map((v) => ({ labels: v.labels, value: v.value }))).toEqual([
      { labels: { connection: 'held', status: 'pending' }, value: 1 },
    ]);
  });

  it('releases nothing while the vendor has no valid DPA', async () => {
    expect(await app.get(HeldDeliveries).releaseAll()).toBe(0);
    expect(await statusOf(newer)).toEqual({ status: 'skipped', reason: 'dpa_missing' });
  });

  it('releases the latest held delivery per person once the DPA is valid, and supersedes the rest', async () => {
    await insertValidDpa((sql, params) => db.query(sql, params), vendorId);
    expect(await app.get(HeldDeliveries).releaseAll()).toBe(1);
    expect(await statusOf(newer)).toEqual({ status: 'pending', reason: null });
    expect(await statusOf(older)).toEqual({ status: 'skipped', reason: 'dpa_missing_superseded' });
    expect(await statusOf(coveredByOpen)).toEqual({ status: 'skipped', reason: 'dpa_missing_superseded' });
    const [job] = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM pgboss.job WHERE name = 'propagation.drain' AND data->>'connectionId' = $1`,
      [connectionId],
    );
    expect(Number(job.n)).toBeGreaterThan(0);
  });

  it('has nothing left to release afterwards', async () => {
    expect(await app.get(HeldDeliveries).release(vendorId)).toBe(0);
  });
});
