import { eventually, json, startTestApp, type TestApp } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { textWebhook } from '../../support/whatsapp';

/**
 * A webhook is acknowledged before it is parsed, so hostile text inside a correctly signed delivery cannot be
 * refused with a 400: it must still be processed. PostgreSQL refuses U+0000 in text and jsonb, so a NUL a sender
 * typed (or a profile name carrying one) must never make an acknowledged delivery fail for good.
 */
describe('security: a NUL character inside an acknowledged WhatsApp delivery', () => {
  let db: TestDatabase;
  let gw: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const inboxStatuses = async () =>
    (await db.query<{ status: string }>(`SELECT status FROM inbox ORDER BY received_at`)).map(
      (r) => r.status,
    );

  it('is processed, and a STOP from a sender whose profile name holds one still withdraws', async () => {
    const stop = JSON.parse(textWebhook({ wamid: 'wamid.NUL-STOP', from: '16315550101' })) as {
      entry: { changes: { value: { contacts: { profile: { name: string } }[] } }[] }[];
    };
    stop.entry[0].changes[0].value.contacts[0].profile.name = 'Kerry\u0000Fisher';
    expect((await gw.postWebhook(JSON.stringify(stop))).status).toBe(200);
    const hello = textWebhook({ wamid: 'wamid.NUL-TEXT', from: '16315550102', body: 'hello\u0000there' });
    expect((await gw.postWebhook(hello)).status).toBe(200);

    const statuses = await eventually(async () => {
      const all = await inboxStatuses();
      return all.length === 2 && all.every((s) => s !== 'pending') ? all : null;
    });
    expect(statuses).toEqual(['processed', 'processed']);
    const check = await json(
      await gw.api('/v1/consents/check?phone=%2B16315550101&purpose=marketing&channel=whatsapp'),
    );
    expect(check.allowed).toBe(false);
  });
});
