import type { INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '../../src/config/app-config';
import { InboxLane, InboxService, InboxWriter, type ProcessedInboxDelivery } from '../../src/modules/inbox';
import { WhatsAppInboxHandler } from '../../src/modules/whatsapp/whatsapp-inbox.handler';
import { whatsAppLane } from '../../src/modules/whatsapp/whatsapp-lane';
import { startTestContext, testConfig } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { textWebhook } from '../support/whatsapp';

const ALL = [InboxLane.Signal, InboxLane.Bulk];

/** A campaign's delivery status, as Meta sends it (bulk lane). */
function statusWebhook(wamid: string): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
              statuses: [
                { id: wamid, status: 'delivered', timestamp: '1795000000', recipient_id: '16505550000' },
              ],
            },
          },
        ],
      },
    ],
  });
}

let sequence = 0;
/** A STOP from a sender of its own. */
const stop = (marker = '') =>
  textWebhook({
    wamid: `wamid.BATCH${++sequence}${marker}`,
    from: String(16505551000 + sequence),
    timestamp: 1795000000,
    body: 'STOP',
  });

/** Batched processing of the inbox, the table being the queue (the worker loops call processDue). */
describe('inbox batch processing', () => {
  let db: TestDatabase;
  let config: AppConfig;
  let ctx: INestApplicationContext;
  let inbox: InboxService;
  let writer: InboxWriter;
  let real: WhatsAppInboxHandler;
  const batches: ProcessedInboxDelivery[][] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    config = testConfig(db.url);
    ctx = await startTestContext(db.url, config);
    inbox = ctx.get(InboxService);
    writer = ctx.get(InboxWriter);
    real = ctx.get(WhatsAppInboxHandler);
    inbox.onProcessed((_manager, processed) => {
      batches.push([...processed]);
      return Promise.resolve();
    });
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    batches.splice(0);
    inbox.register('whatsapp', real);
    await db.query(`UPDATE inbox SET status = 'processed'`);
  });

  async function store(body: string): Promise<string> {
    const stored = await writer.append({
      provider: 'whatsapp',
      deliveryId: `d-${++sequence}-${body.length}`,
      rawBody: Buffer.from(body),
      signature: null,
      lane: whatsAppLane(JSON.parse(body)),
    });
    return stored.inboxId as string;
  }

  async function row(id: string) {
    const [r] = await db.query<{
      status: string;
      attempts: number;
      last_error: string | null;
      backoff_set: boolean;
    }>(
      `SELECT status, attempts, last_error, next_attempt_at > received_at AS backoff_set FROM inbox WHERE id = $1`,
      [id],
    );
    return r;
  }

  const eventsOf = async (ids: string[]) =>
    Number(
      (
        await db.query<{ n: string }>(`SELECT count(*) AS n FROM consent_event WHERE inbox_id = ANY($1)`, [
          ids,
        ])
      )[0].n,
    );

  it('writes a batch in one transaction and tells the listeners once, with every delivery of it', async () => {
    const ids = [await store(stop()), await store(stop()), await store(stop())];

    expect(await inbox.processDue(ALL, 100)).toBe(3);

    expect(batches).toHaveLength(1);
    expect(batches[0].map((d) => d.id).sort()).toEqual([...ids].sort());
    expect(batches[0].every((d) => d.summary.opt_out === 1)).toBe(true);
    expect(await eventsOf(ids)).toBe(3);
    for (const id of ids) expect((await row(id)).status).toBe('processed');
  });

  it('processes the good deliveries of a batch with a poison one, and retries the poison one after a backoff', async () => {
    let poisoned = true;
    inbox.register('whatsapp', {
      handle: (manager, delivery) =>
        poisoned && delivery.rawBody.includes('POISON')
          ? Promise.reject(new Error('simulated parser bug'))
          : real.handle(manager, delivery),
    });
    const good = [await store(stop()), await store(stop())];
    const poison = await store(stop('POISON'));
    good.push(await store(stop()));

    expect(await inbox.processDue(ALL, 100)).toBe(4);

    for (const id of good) expect((await row(id)).status).toBe('processed');
    expect(await eventsOf(good)).toBe(3);
    expect(await row(poison)).toEqual({
      status: 'failed',
      attempts: 1,
      last_error: 'simulated parser bug',
      backoff_set: true,
    });
    expect(await eventsOf([poison])).toBe(0);
    // Within its backoff, it is not claimed again.
    expect(await inbox.processDue(ALL, 100)).toBe(0);

    // Its backoff is over, and the bug fixed: it goes through; nothing was lost.
    poisoned = false;
    await db.query(`UPDATE inbox SET next_attempt_at = now() - interval '1 second' WHERE id = $1`, [poison]);
    expect(await inbox.processDue(ALL, 100)).toBe(1);
    expect(await row(poison)).toEqual(
      expect.objectContaining({ status: 'processed', attempts: 2, last_error: null }),
    );
    expect(await eventsOf([poison])).toBe(1);
  });

  it('processes a STOP stored after 1,000 statuses first', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => store(statusWebhook(`wamid.STATUS${sequence}-${i}`))),
    );
    const stopId = await store(stop());

    expect(await inbox.processDue(ALL, 100)).toBe(100);

    expect(batches[0][0].id).toBe(stopId);
    expect((await row(stopId)).status).toBe('processed');
    expect(await eventsOf([stopId])).toBe(1);
    const done = await db.query(`SELECT id FROM inbox WHERE id = ANY($1) AND status = 'processed'`, [
      statuses,
    ]);
    expect(done).toHaveLength(99);
  });

  it('serves only signals on the signal lane, leaving statuses to the other loops', async () => {
    const status = await store(statusWebhook(`wamid.STATUS-LANE${sequence}`));
    const stopId = await store(stop());

    expect(await inbox.processDue([InboxLane.Signal], 100)).toBe(1);
    expect((await row(stopId)).status).toBe('processed');
    expect((await row(status)).status).toBe('pending');
  });

  it('never processes a delivery twice when two worker processes claim at once', async () => {
    const second = await startTestContext(db.url, config);
    try {
      const otherInbox = second.get(InboxService);
      const handed = new Map<string, number>();
      const count = (_m: unknown, processed: readonly ProcessedInboxDelivery[]) => {
        for (const d of processed) handed.set(d.id, (handed.get(d.id) ?? 0) + 1);
        return Promise.resolve();
      };
      inbox.onProcessed(count);
      otherInbox.onProcessed(count);
      const ids = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          store(i % 10 === 0 ? stop() : statusWebhook(`wamid.TWO${sequence}-${i}`)),
        ),
      );
      const drain = async (service: InboxService) => {
        while ((await service.processDue(ALL, 25)) > 0);
      };

      await Promise.all([drain(inbox), drain(otherInbox), drain(inbox), drain(otherInbox)]);

      expect(handed.size).toBe(300);
      expect([...handed.values()].every((n) => n === 1)).toBe(true);
      const rows = await db.query<{ attempts: number }>(`SELECT attempts FROM inbox WHERE id = ANY($1)`, [
        ids,
      ]);
      expect(rows.every((r) => r.attempts === 1)).toBe(true);
      expect(await eventsOf(ids)).toBe(30);
    } finally {
      await second.close();
    }
  });
});
