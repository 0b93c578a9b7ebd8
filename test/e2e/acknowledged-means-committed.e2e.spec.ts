import { InboxService } from '../../src/modules/inbox/inbox.service';
import { messageEventId, textWebhook } from '../support/whatsapp';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, startTestApp, testConfig, type TestApp } from '../support/app';

const stop = (wamid: string) =>
  textWebhook({ wamid, from: '16505551234', timestamp: 1795000000, withContact: false });

describe('acknowledged means committed', () => {
  let db: TestDatabase;
  let first: TestApp | null = null;
  let second: TestApp | null = null;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await db?.drop();
  });

  it('keeps a webhook answered 200 when its processing fails, and processes it after a restart', async () => {
    const config = testConfig(db.url);
    first = await startTestApp({ databaseUrl: db.url, config });
    // A processing bug, swapped in through DI: every WhatsApp delivery fails after the acknowledgement.
    first.app.get(InboxService).register('whatsapp', {
      handle: () => Promise.reject(new Error('simulated processing bug')),
    });

    const res = await first.postWebhook(stop('wamid.DURABLE1'));
    expect(res.status).toBe(200);

    const failed = await eventually(async () => {
      const rows = await db.query<{ status: string; attempts: number; last_error: string }>(
        `SELECT status, attempts, last_error FROM inbox`,
      );
      return rows[0]?.status === 'failed' ? rows[0] : null;
    });
    expect(failed.last_error).toContain('simulated processing bug');
    expect(await db.query(`SELECT id FROM consent_event`)).toHaveLength(0);

    await first.close();
    first = null;

    second = await startTestApp({ databaseUrl: db.url, config });
    const events = await eventually(async () => {
      const rows = await db.query<{ status: string; source_event_id: string }>(
        `SELECT status, source_event_id FROM consent_event`,
      );
      return rows.length ? rows : null;
    });
    expect(events).toEqual([
      { status: 'withdrawn', source_event_id: messageEventId(config, 'wamid.DURABLE1') },
    ]);
    const [inbox] = await db.query<{ status: string }>(`SELECT status FROM inbox`);
    expect(inbox.status).toBe('processed');
  });

  it('does not acknowledge a webhook it could not store', async () => {
    const config = testConfig(db.url);
    const app = await startTestApp({ databaseUrl: db.url, config });
    try {
      const before = await db.query(`SELECT id FROM inbox`);
      // The inbox table becomes unwritable: the intake must answer 5xx (Meta retries), never 200.
      await db.query(
        `ALTER TABLE inbox ADD CONSTRAINT ck_test_refuse CHECK (provider <> 'whatsapp') NOT VALID`,
      );
      const res = await app.postWebhook(stop('wamid.DURABLE2'));
      expect(res.status).toBeGreaterThanOrEqual(500);
      await db.query(`ALTER TABLE inbox DROP CONSTRAINT ck_test_refuse`);
      expect(await db.query(`SELECT id FROM inbox`)).toHaveLength(before.length);
    } finally {
      await app.close();
    }
  });
});
