import type { INestApplicationContext } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Client, type Notification } from 'pg';
import { InboxLane, InboxWriter } from '../../src/modules/inbox';
import { INBOX_CHANNEL } from '../../src/modules/inbox/inbox.constants';
import { rawBodyPlace } from '../../src/modules/inbox/inbox-sealed-places';
import { CryptoService } from '../../src/platform/crypto/crypto.service';
import { startTestContext } from '../support/app';
import { createTestDatabase, type TestDatabase } from '../support/database';

let sequence = 0;
const deliveryId = () => `writer-${++sequence}-${randomBytes(4).toString('hex')}`;

/**
 * The intake's group commit against PostgreSQL: deliveries appended together share a commit, each is stored at its
 * own row with its own bytes, duplicates are told apart, and the workers are woken once the rows are committed.
 */
describe('inbox writer (group commit)', () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let writer: InboxWriter;
  let crypto: CryptoService;

  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = await startTestContext(db.url);
    writer = ctx.get(InboxWriter);
    crypto = ctx.get(CryptoService);
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  const append = (id: string, body: Buffer, lane = InboxLane.Bulk) =>
    writer.append({ provider: 'whatsapp', deliveryId: id, rawBody: body, signature: `sha256=${id}`, lane });

  async function stored(inboxId: string) {
    const [row] = await db.query<{
      delivery_id: string;
      raw_body: Buffer;
      key_id: string;
      signature: string;
      lane: number;
      status: string;
    }>(`SELECT delivery_id, raw_body, key_id, signature, lane, status FROM inbox WHERE id = $1`, [inboxId]);
    return {
      ...row,
      body: crypto.open(
        { ciphertext: row.raw_body, keyId: row.key_id },
        rawBodyPlace('whatsapp', row.delivery_id),
      ),
    };
  }

  it('stores every delivery of a shared commit at its own row, with its own bytes, signature and lane', async () => {
    // Appended in one tick: the first commits alone, the others wait for it and share the next commit.
    const deliveries = Array.from({ length: 40 }, (_, i) => ({
      id: deliveryId(),
      // Lengths differ (one empty, some binary) so that a body cut at the wrong place cannot go unnoticed.
      body: i === 3 ? Buffer.alloc(0) : randomBytes(1 + ((i * 97) % 3000)),
      lane: i % 2 === 0 ? InboxLane.Signal : InboxLane.Bulk,
    }));
    const results = await Promise.all(deliveries.map((d) => append(d.id, d.body, d.lane)));

    expect(new Set(results.map((r) => r.inboxId)).size).toBe(deliveries.length);
    for (const [i, d] of deliveries.entries()) {
      expect(results[i].duplicate).toBe(false);
      const row = await stored(results[i].inboxId as string);
      expect(row.delivery_id).toBe(d.id);
      expect(row.body.equals(d.body)).toBe(true);
      expect(row.signature).toBe(`sha256=${d.id}`);
      expect(row.lane).toBe(d.lane);
      expect(row.status).toBe('pending');
    }
  });

  it('answers a redelivery as a duplicate, in the same commit as the first or after it', async () => {
    const first = deliveryId();
    const body = Buffer.from('{"same":"bytes"}');
    // The first append commits alone; the next three share one commit, two of them the same delivery.
    const [lead, a, b, other] = await Promise.all([
      append(deliveryId(), Buffer.from('{}')),
      append(first, body),
      append(first, body),
      append(deliveryId(), Buffer.from('{"other":1}')),
    ]);

    expect([lead.duplicate, a.duplicate, b.duplicate, other.duplicate]).toEqual([false, false, true, false]);
    expect(b.inboxId).toBeNull();
    expect((await stored(a.inboxId as string)).body.equals(body)).toBe(true);
    const again = await append(first, body);
    expect(again).toEqual({ inboxId: null, duplicate: true });
    const [{ n }] = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM inbox WHERE delivery_id = $1`,
      [first],
    );
    expect(n).toBe(1);
  });

  it('wakes the workers once the deliveries are committed', async () => {
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    try {
      const heard = new Promise<Notification>((resolve) => listener.once('notification', resolve));
      await listener.query(`LISTEN ${INBOX_CHANNEL}`);

      const result = await append(deliveryId(), Buffer.from('{"wake":"up"}'));
      const notification = await heard;

      expect(notification.channel).toBe(INBOX_CHANNEL);
      expect(Number(notification.payload)).toBeGreaterThanOrEqual(1);
      // What woke a worker is there for it to claim.
      expect((await stored(result.inboxId as string)).status).toBe('pending');
    } finally {
      await listener.end();
    }
  });
});
