import { messageEventId, textWebhook } from '../support/whatsapp';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, startTestApp, type TestApp } from '../support/app';

/** A data-subject request typed on WhatsApp becomes a request, through the real intake. */
describe('WhatsApp request keywords', () => {
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

  const subjectOf = async (wamid: string) =>
    (
      await db.query<{ subject_id: string }>(
        `SELECT subject_id FROM consent_event WHERE source = 'whatsapp' AND source_event_id = $1`,
        [messageEventId(gw.config, wamid)],
      )
    )[0]?.subject_id;

  it('files a request of the sender, verified by its origin, when the whole message is a request keyword', async () => {
    const from = '4915112340001';
    expect((await gw.postWebhook(textWebhook({ wamid: 'wamid.stop1', from, body: 'STOP' }))).status).toBe(
      200,
    );
    const subjectId = await eventually(() => subjectOf('wamid.stop1'));
    const res = await gw.postWebhook(
      textWebhook({ wamid: 'wamid.req1', from, body: 'Meine Daten löschen!' }),
    );
    expect(res.status).toBe(200);
    const [request] = await eventually(async () => {
      const rows = await db.query<{ type: string; origin: string; status: string; subject_id: string }>(
        `SELECT type, origin, status, subject_id FROM data_subject_request WHERE origin = 'whatsapp'`,
      );
      return rows.length ? rows : null;
    });
    expect(request).toEqual(
      expect.objectContaining({ type: 'erasure', origin: 'whatsapp', subject_id: subjectId }),
    );
    expect(request.status).not.toBe('identity_verification');
  });
});
