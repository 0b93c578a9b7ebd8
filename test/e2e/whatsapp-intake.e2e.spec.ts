import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { signWhatsAppBody } from '../../src/modules/whatsapp/whatsapp-signature';
import { findPlaintext } from '../support/plaintext-scan';
import { messageEventId, textWebhook } from '../support/whatsapp';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, json, startTestApp, TEST_VERIFY_TOKEN, type TestApp } from '../support/app';

const FIXTURES = join(__dirname, '../fixtures/whatsapp');
const fixture = (name: string) => readFileSync(join(FIXTURES, name));

interface ExpectedEvent {
  status: 'granted' | 'withdrawn';
  scope: string;
  method: string;
}

/** What each real payload must leave in the ledger, with the default config/consent.json. */
const EXPECTED: Record<string, { events: ExpectedEvent[]; identities?: string[] }> = {
  '01-meta-doc-text-message.json': { events: [] },
  '02-meta-doc-status-delivered.json': { events: [] },
  '03-meta-doc-user-preferences-resume-contact-without-profile.json': {
    events: [{ status: 'granted', scope: '106540352242922', method: 'meta_user_preferences' }],
  },
  '04-meta-doc-interactive-button-reply.json': { events: [] },
  '05-meta-doc-interactive-list-reply.json': { events: [] },
  '06-pywa-text-with-bsuid-user-id.json': { events: [] },
  '07-pywa-template-quick-reply-button.json': { events: [] },
  '09-pywa-reaction.json': { events: [] },
  '11-pywa-unsupported-with-message-errors.json': { events: [] },
  '13-pywa-referral-click-to-whatsapp.json': { events: [] },
  '14-pywa-status-failed-130472.json': { events: [] },
  '15-pywa-status-sent-biz-opaque-callback-data.json': { events: [] },
  '18-pywa-system-user-changed-number-no-contacts.json': { events: [], identities: ['wa_id', 'wa_id'] },
  '22-bindambc-template-button-SIM.json': { events: [] },
  '23-bindambc-status-failed-131047.json': { events: [] },
  '25-bindambc-status-sent-business-initiated.json': { events: [] },
  '29-piusalfred-two-changes-messages-and-user-preferences.json': {
    events: [{ status: 'withdrawn', scope: '987654321', method: 'meta_user_preferences' }],
  },
};

describe('POST /webhooks/whatsapp', () => {
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

  const count = async (table: string) =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0].n);
  const processed = (inboxId: string) =>
    eventually(async () => {
      const rows = await db.query<{ status: string }>(`SELECT status FROM inbox WHERE id = $1`, [inboxId]);
      return rows[0]?.status === 'processed';
    });
  const inboxIdOf = async (raw: Buffer | string) =>
    (
      await db.query<{ id: string }>(
        `SELECT id FROM inbox WHERE delivery_id = encode(sha256($1::bytea), 'hex')`,
        [Buffer.from(raw)],
      )
    )[0]?.id;

  describe('the verification handshake', () => {
    it('echoes hub.challenge when the verify token matches', async () => {
      const res = await gw.api(
        `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${TEST_VERIFY_TOKEN}&hub.challenge=1158201444`,
        { key: null },
      );
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('1158201444');
    });

    it('refuses a wrong verify token with a 4xx naming the field', async () => {
      const res = await gw.api(
        `/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`,
        {
          key: null,
        },
      );
      expect(res.status).toBe(403);
      expect((await json(res)).errors[0].field).toBe('hub.verify_token');
    });
  });

  describe('every real payload', () => {
    it.each(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')))(
      '%s ends in its expected ledger effect',
      async (name) => {
        const expected = EXPECTED[name];
        expect(expected).toBeDefined();
        const raw = fixture(name);
        const eventsBefore = await count('consent_event');
        const identitiesBefore = await db.query<{ kind: string }>(`SELECT kind FROM subject_identity`);

        const res = await gw.postWebhook(raw);
        expect(res.status).toBe(200);
        const inboxId = await inboxIdOf(raw);
        expect(inboxId).toBeDefined();
        await processed(inboxId);

        const events = await db.query<
          ExpectedEvent & { source: string; payload_digest: string; inbox_id: string }
        >(
          `SELECT status, scope, method, source, payload_digest, inbox_id FROM consent_event WHERE inbox_id = $1 ORDER BY captured_at`,
          [inboxId],
        );
        expect(events.map(({ status, scope, method }) => ({ status, scope, method }))).toEqual(
          expected.events,
        );
        expect(await count('consent_event')).toBe(eventsBefore + expected.events.length);
        for (const e of events) {
          expect(e.source).toBe('whatsapp');
          expect(e.payload_digest).toMatch(/^[0-9a-f]{64}$/);
        }
        if (expected.identities) {
          const after = await db.query<{ kind: string }>(`SELECT kind FROM subject_identity`);
          const added = after.length - identitiesBefore.length;
          // The old number and the new one, each as a wa_id (neither is a valid phone number here).
          expect(added).toBe(expected.identities.length);
        }
      },
    );
  });

  describe('a typed STOP', () => {
    it('withdraws marketing consent on that business number, with evidence taken from the payload', async () => {
      const raw = textWebhook({ wamid: 'wamid.STOP1', timestamp: 1795000100 });
      expect((await gw.postWebhook(raw)).status).toBe(200);
      await processed(await inboxIdOf(raw));

      const check = await json(await gw.api('/v1/consents/check?phone=%2B16315551181&scope=106540352242922'));
      expect(check).toMatchObject({ allowed: false, status: 'withdrawn', reason: 'consent_withdrawn' });

      const [event] = await db.query<Record<string, unknown>>(
        `SELECT method, actor, captured_at, received_at, legal_basis, evidence FROM consent_event WHERE source_event_id = $1`,
        [messageEventId(gw.config, 'wamid.STOP1')],
      );
      expect(event.method).toBe('wa_keyword');
      expect(event.actor).toBe('subject');
      expect((event.captured_at as Date).toISOString()).toBe(new Date(1795000100 * 1000).toISOString());
      expect(event.legal_basis).toBe('consent');
      expect(event.evidence).toMatchObject({ keyword: 'stop', keyword_language: 'en' });
      expect(JSON.stringify(event.evidence)).not.toContain('wamid.STOP1');
    });

    it('is acknowledged and processed once when Meta delivers it again', async () => {
      const raw = textWebhook({ wamid: 'wamid.STOP2', from: '16505551234' });
      const first = await gw.postWebhook(raw);
      const second = await gw.postWebhook(raw);
      expect([first.status, second.status]).toEqual([200, 200]);
      expect((await json(second)).status).toBe('duplicate');
      await processed(await inboxIdOf(raw));
      const rows = await db.query(`SELECT id FROM consent_event WHERE source_event_id = $1`, [
        messageEventId(gw.config, 'wamid.STOP2'),
      ]);
      expect(rows).toHaveLength(1);
      const inbox = await db.query(
        `SELECT id FROM inbox WHERE delivery_id = encode(sha256($1::bytea), 'hex')`,
        [Buffer.from(raw)],
      );
      expect(inbox).toHaveLength(1);
    });

    it('records the same message once even when it arrives in a differently shaped delivery', async () => {
      const raw = textWebhook({ wamid: 'wamid.STOP3', from: '16505551234' });
      const reshaped = JSON.stringify(JSON.parse(raw), null, 2);
      await gw.postWebhook(raw);
      await gw.postWebhook(reshaped);
      await processed(await inboxIdOf(raw));
      await processed(await inboxIdOf(reshaped));
      const rows = await db.query(`SELECT id FROM consent_event WHERE source_event_id = $1`, [
        messageEventId(gw.config, 'wamid.STOP3'),
      ]);
      expect(rows).toHaveLength(1);
    });

    it("keeps a wa_id that is not a valid phone number as the person's WhatsApp identity", async () => {
      const raw = textWebhook({ wamid: 'wamid.STOP4', from: '999' });
      await gw.postWebhook(raw);
      await processed(await inboxIdOf(raw));
      const [event] = await db.query<{ subject_id: string }>(
        `SELECT subject_id FROM consent_event WHERE source_event_id = $1`,
        [messageEventId(gw.config, 'wamid.STOP4')],
      );
      const kinds = await db.query<{ kind: string }>(
        `SELECT kind FROM subject_identity WHERE subject_id = $1`,
        [event.subject_id],
      );
      expect(kinds.map((k) => k.kind)).toEqual(['wa_id']);
    });
  });

  describe('bodies that store nothing', () => {
    const valid = () => textWebhook({ wamid: `wamid.REJ${Math.random()}` });

    it.each([
      ['an unsigned body', (raw: string) => gw.postWebhook(raw, { signature: null }), 401],
      [
        'a body signed with another secret',
        (raw: string) => gw.postWebhook(raw, { signature: 'sha256=' + 'ab'.repeat(32) }),
        401,
      ],
      [
        'a truncated body (signature of the whole)',
        (raw: string) =>
          gw.api(`/webhooks/whatsapp`, {
            key: null,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-hub-signature-256': signWhatsAppBody(gw.config.whatsapp.appSecret, raw),
            },
            body: raw.slice(0, raw.length - 10),
          }),
        400,
      ],
      ['a signed non-JSON body', (_raw: string) => gw.postWebhook('this is not json'), 400],
      ['a signed JSON body that is not an object', (_raw: string) => gw.postWebhook('[1,2,3]'), 400],
      [
        'a body of another content type',
        (raw: string) => gw.postWebhook(raw, { contentType: 'text/plain' }),
        415,
      ],
      [
        'an oversized body',
        (_raw: string) =>
          gw.postWebhook(
            JSON.stringify({ object: 'whatsapp_business_account', pad: 'x'.repeat(4 * 1024 * 1024) }),
          ),
        413,
      ],
    ])('refuses %s', async (_name, send, status) => {
      const before = await count('inbox');
      const res = await send(valid());
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const problem = await json(res);
      expect(problem.errors?.[0]?.field).toEqual(expect.any(String));
      expect(await count('inbox')).toBe(before);
    });
  });

  describe('after every payload above', () => {
    it('holds no phone number, wa_id, name or message text in clear in any table', async () => {
      const needles = [
        '16505551234',
        '16315551181',
        '+16505551234',
        '972987654321',
        '972912345678',
        'Sheena Nelson',
        'Kerry Fisher',
        'Does it come in another color?',
        'Hello from a text message',
        'US.13491208655302741918',
      ];
      const hits = await findPlaintext(db, needles);
      if (hits.length) throw new Error(JSON.stringify(hits));
      expect(hits).toEqual([]);
    });
  });
});
