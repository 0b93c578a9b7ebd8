import { randomUUID } from 'node:crypto';
import { IdentityService } from '../../src/modules/ledger/identity.service';
import { LedgerService } from '../../src/modules/ledger/ledger.service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, json, startTestApp, type TestApp } from '../support/app';
import { textWebhook } from '../support/whatsapp';

const DAY_S = 86_400;
/** Whole seconds, as WhatsApp timestamps are: two days ago (the grant) and yesterday (the STOP). */
const nowS = Math.floor(Date.now() / 1000);
const MONDAY_S = nowS - 2 * DAY_S;
const TUESDAY_S = nowS - DAY_S;

describe('one person across identifiers, through HTTP', () => {
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

  const check = async (lookup: Record<string, string>) =>
    json(await gw.api(`/v1/consents/check?${new URLSearchParams(lookup).toString()}`));

  it('joins an API email-only person and a WhatsApp phone-only person into one, withdrawn by the later STOP', async () => {
    const email = `merge-${randomUUID()}@example.org`;
    const waId = '16502537771';
    const phone = `+${waId}`;

    const granted = await gw.api('/v1/consent-events', {
      method: 'POST',
      json: {
        event_id: `evt-${randomUUID()}`,
        email,
        purpose: 'marketing',
        channel: 'whatsapp',
        status: 'granted',
        captured_at: new Date(MONDAY_S * 1000).toISOString(),
      },
    });
    expect(granted.status).toBe(200);
    const emailPerson = (await json(granted)).subject_id as string;

    const wamid = `wamid.${randomUUID()}`;
    expect((await gw.postWebhook(textWebhook({ wamid, from: waId, timestamp: TUESDAY_S }))).status).toBe(200);
    const stop = await eventually(async () => {
      // The only WhatsApp event of this file's database (its source event id is pseudonymised).
      const rows = await db.query<{ id: string; subject_id: string }>(
        `SELECT id, subject_id FROM consent_event WHERE source = 'whatsapp'`,
      );
      return rows[0];
    });
    expect(stop.subject_id).not.toBe(emailPerson);
    expect(await check({ email })).toMatchObject({ status: 'granted' });

    // The CRM importer's call (the lead's path), made directly: one contact record names both.
    const ledger = gw.app.get(LedgerService);
    const prepared = gw.app.get(IdentityService).prepare([
      { kind: 'phone', value: phone },
      { kind: 'email', value: email },
    ]);
    const survivor = await ledger.transaction((m) =>
      ledger.resolvePreparedSubject(m, prepared, {
        source: 'hubspot',
        reason: 'crm_record_joined_identifiers',
        evidence: { record: 'contact' },
      }),
    );
    expect(survivor).toBe(emailPerson);

    // The app's memory forgets both people once the merge's NOTIFY arrives (after the commit).
    await eventually(async () => (await check({ email })).status === 'withdrawn');
    expect(await check({ email })).toMatchObject({ allowed: false, reason: 'consent_withdrawn' });
    expect(await check({ phone })).toMatchObject({ allowed: false, reason: 'consent_withdrawn' });
    expect(await check({ phone, scope: '106540352242922' })).toMatchObject({ status: 'withdrawn' });

    const timeline = await gw.api(`/v1/subjects/${survivor}/timeline`);
    expect(timeline.status).toBe(200);
    const body = await json(timeline);
    expect(body.events.map((e: { subject_id: string; status: string }) => [e.subject_id, e.status])).toEqual([
      [emailPerson, 'granted'],
      [stop.subject_id, 'withdrawn'],
    ]);
    expect(body.merges).toEqual([
      expect.objectContaining({
        merged_subject_id: stop.subject_id,
        into_subject_id: survivor,
        reason: 'crm_record_joined_identifiers',
        evidence: { source: 'hubspot', record: 'contact' },
      }),
    ]);

    const absorbed = await json(await gw.api(`/v1/subjects/${stop.subject_id}/timeline`));
    expect(absorbed).toMatchObject({ subject_id: survivor, redirected_from: stop.subject_id });
    expect(await check({ subject_id: stop.subject_id })).toMatchObject({ status: 'withdrawn' });
  });
});
