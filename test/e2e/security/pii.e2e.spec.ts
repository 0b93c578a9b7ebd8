import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { join } from 'node:path';
import { HubSpotSimulator } from '../../../sandbox/hubspot';
import { LedgerService } from '../../../src/modules/ledger/ledger.service';
import { eventually, json, startTestApp, testConfig, type TestApp } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { findPlaintext } from '../../support/plaintext-scan';
import { SANDBOX_CLIENT } from '../../support/sandbox';
import { messageEventId, textWebhook } from '../../support/whatsapp';

/** Meta's documented text message (fixture 01), made a STOP. */
const fixture = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'fixtures', 'whatsapp', '01-meta-doc-text-message.json'), 'utf8'),
) as {
  entry: { changes: { value: { messages: { id: string; from: string; text: { body: string } }[] } }[] }[];
};
const message = fixture.entry[0].changes[0].value.messages[0];
message.text.body = 'STOP';
const STOP_BODY = JSON.stringify(fixture);
const WAMID = message.id;
const SENDER = message.from;
// What the wamid base64-encodes: a phone number (Meta's example encodes 16503879439).
const NUMBER_IN_WAMID = Buffer.from(WAMID.slice('wamid.'.length), 'base64')
  .toString('latin1')
  .match(/\d{7,}/)![0];

/** A HubSpot that, once told to, answers every call with a validation error quoting the person's phone and email. */
class EchoingHubSpot {
  failing = false;
  private server: Server | null = null;

  constructor(
    private readonly upstream: string,
    private readonly echo: string,
  ) {}

  async start(): Promise<{ url: string; port: number }> {
    const upstream = new URL(this.upstream);
    this.server = createServer((req, res) => {
      if (this.failing) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            status: 'error',
            message: `Property values were not valid: ${this.echo}`,
            correlationId: randomUUID(),
            category: 'VALIDATION_ERROR',
          }),
        );
        return;
      }
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: req.headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(forward);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as { port: number }).port;
    return { url: `http://127.0.0.1:${port}`, port };
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

describe('security: phone numbers in WhatsApp ids and vendor error texts', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const hubspot = new HubSpotSimulator({ clientId: SANDBOX_CLIENT.id, clientSecret: SANDBOX_CLIENT.secret });
  const CRM_PHONE = '+4915123456789';
  const CRM_EMAIL = 'jane.doe@example.com';
  // How HubSpot quotes them back: as typed in the CRM, and in E.164.
  const echoing = (upstream: string) =>
    new EchoingHubSpot(upstream, `phone "+49 151 23456789" (${CRM_PHONE}) of ${CRM_EMAIL} is already taken`);
  let vendor: EchoingHubSpot;
  let vendorUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    vendor = echoing(await hubspot.start());
    const { url, port } = await vendor.start();
    vendorUrl = url;
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, { OUTBOUND_ALLOWLIST: `127.0.0.1:${port}` }),
    });
  });

  afterAll(async () => {
    await gw?.close();
    await vendor?.stop();
    await hubspot.stop();
    await db?.drop();
  });

  const processed = (raw: string) =>
    eventually(async () => {
      const rows = await db.query<{ status: string }>(
        `SELECT status FROM inbox WHERE delivery_id = encode(sha256($1::bytea), 'hex')`,
        [Buffer.from(raw)],
      );
      return rows[0]?.status === 'processed';
    });

  describe('a signed STOP whose wamid encodes the sender', () => {
    it('is a real attack: the wamid of the fixture carries a phone number', () => {
      expect(NUMBER_IN_WAMID).toMatch(/^\d{11}$/);
    });

    it('is recorded under a pseudonym, with no wamid and no phone digits in the event', async () => {
      expect((await gw.postWebhook(STOP_BODY)).status).toBe(200);
      await processed(STOP_BODY);

      const rows = await db.query<{ text: string; source_event_id: string }>(
        `SELECT row_to_json(e)::text AS text, e.source_event_id FROM consent_event e WHERE source = 'whatsapp'`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].source_event_id).toBe(messageEventId(gw.config, WAMID));
      expect(rows[0].source_event_id).toMatch(/^bw:[0-9a-f]{64}$/);
      for (const needle of [WAMID, WAMID.slice(6, 30), SENDER, NUMBER_IN_WAMID, SENDER.slice(1)])
        expect(rows[0].text).not.toContain(needle);
      // Nowhere else either: identities, evidence, the inbox body and the request intake are sealed or hashed.
      expect(await findPlaintext(db, [WAMID, WAMID.slice(6, 30), SENDER, NUMBER_IN_WAMID])).toEqual([]);
    });

    it('is recorded once when the same message is replayed in another delivery', async () => {
      const reshaped = JSON.stringify(JSON.parse(STOP_BODY), null, 2);
      expect((await gw.postWebhook(reshaped)).status).toBe(200);
      await processed(reshaped);

      const rows = await db.query(`SELECT id FROM consent_event WHERE source = 'whatsapp'`);
      expect(rows).toHaveLength(1);
    });

    it("shows the pseudonym where the API shows the event's source id", async () => {
      const [event] = await db.query<{ subject_id: string }>(
        `SELECT subject_id FROM consent_event WHERE source = 'whatsapp'`,
      );
      const timeline = await json(await gw.api(`/v1/subjects/${event.subject_id}/timeline`));
      expect(timeline.events.map((e: { source_event_id: string }) => e.source_event_id)).toEqual([
        messageEventId(gw.config, WAMID),
      ]);
      expect(timeline.events[0].evidence.details).not.toHaveProperty('wamid');
    });
  });

  it('rewrites the events a previous version recorded with wamids in clear at the next start', async () => {
    const legacyWamid = `wamid.HBgLMTY1MDU1NTAxOTkVAgASGBQz${randomUUID().slice(0, 8)}`;
    await gw.app.get(LedgerService).transaction((m) =>
      gw.app.get(LedgerService).recordConsent(m, {
        source: 'whatsapp',
        sourceEventId: `msg:${legacyWamid}`,
        identities: [{ kind: 'wa_id', value: '16505550199' }],
        purpose: 'marketing',
        channel: 'whatsapp',
        scope: null,
        status: 'withdrawn',
        method: 'wa_keyword',
        actor: 'subject',
        capturedAt: new Date('2026-01-05T10:00:00Z'),
        receivedAt: new Date('2026-01-05T10:00:00Z'),
        evidence: { wamid: legacyWamid, context_message_id: legacyWamid, message_type: 'text' },
      }),
    );
    await db.query(`UPDATE ledger_rewrite SET completed_at = NULL WHERE name = 'whatsapp-wamid-pseudonyms'`);
    expect(await findPlaintext(db, [legacyWamid])).not.toEqual([]);

    const config = gw.config;
    await gw.close();
    gw = await startTestApp({ databaseUrl: db.url, config });

    expect(await findPlaintext(db, [legacyWamid])).toEqual([]);
    const replay = textWebhook({ wamid: legacyWamid, from: '16505550199', timestamp: 1767607200 });
    expect((await gw.postWebhook(replay)).status).toBe(200);
    await processed(replay);
    const events = await db.query(`SELECT id FROM consent_event WHERE source_event_id = $1`, [
      messageEventId(config, legacyWamid),
    ]);
    expect(events).toHaveLength(1);
  });

  describe('a vendor error that echoes the phone and email', () => {
    let connectionId: string;

    beforeAll(async () => {
      hubspot.seedContacts({ contacts: [{ firstname: 'Jane', phone: CRM_PHONE, email: CRM_EMAIL }] });
      const res = await gw.api('/v1/connections', {
        method: 'POST',
        json: {
          type: 'hubspot',
          name: 'HubSpot that echoes',
          base_url: vendorUrl,
          credentials: { access_token: 'pat-na1-sandbox' },
        },
      });
      expect(res.status).toBe(201);
      connectionId = (await json(res)).id;
      await eventually(async () => {
        const [run] = await db.query<{ status: string }>(
          `SELECT status FROM backfill_run WHERE connection_id = $1`,
          [connectionId],
        );
        return run && run.status !== 'running';
      });
      vendor.failing = true;
    });

    const leaks = (text: string) =>
      [CRM_PHONE, CRM_PHONE.slice(1), '151 23456789', CRM_EMAIL].filter((needle) => text.includes(needle));

    it('is stored in delivery.last_error without them', async () => {
      const stop = textWebhook({ wamid: `wamid.ECHO${randomUUID()}`, from: CRM_PHONE.slice(1) });
      expect((await gw.postWebhook(stop)).status).toBe(200);

      const delivery = await eventually(async () => {
        const [row] = await db.query<{ last_error: string | null; reason: string | null; status: string }>(
          `SELECT last_error, reason, status FROM delivery WHERE connection_id = $1 AND last_error LIKE '%HubSpot 400%'`,
          [connectionId],
        );
        return row;
      });
      expect(delivery.last_error).toContain('[phone]');
      expect(delivery.last_error).toContain('[email]');
      expect(leaks(delivery.last_error!)).toEqual([]);
      expect(leaks(delivery.reason ?? '')).toEqual([]);
      const listed = await gw.api(`/v1/deliveries?connection_id=${connectionId}`);
      expect(leaks(await listed.text())).toEqual([]);
    });

    it('is stored as the connection test result without them', async () => {
      const tested = await gw.api(`/v1/connections/${connectionId}/test`, { method: 'POST' });
      expect(tested.status).toBeLessThan(500);
      const [row] = await db.query<{ text: string }>(
        `SELECT row_to_json(c)::text AS text FROM connection c WHERE id = $1`,
        [connectionId],
      );
      // A failed test is stored in the fixed words of the SSRF rules, never the vendor's own text.
      expect(row.text).toContain('the endpoint answered with HTTP 4xx');
      expect(leaks(row.text)).toEqual([]);
    });
  });
});
