import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { ConfigError } from '../../src/config/app-config';
import { SubjectErasureService } from '../../src/modules/ledger';
import { RelayDispatcher } from '../../src/modules/relay/relay-dispatcher';
import { RelayRepository } from '../../src/modules/relay/relay.repository';
import { RelaySender } from '../../src/modules/relay/relay-sender';
import { RelayWorker } from '../../src/modules/relay/relay.worker';
import { ManualClock } from '../../src/platform/clock/manual-clock';
import { CryptoService } from '../../src/platform/crypto/crypto.service';
import { MetricsService } from '../../src/platform/metrics/metrics.service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { eventually, json, startTestApp, TEST_APP_SECRET, testConfig, type TestApp } from '../support/app';
import { deliveryIdOf, RelayTarget, type RelayedRequest } from '../support/relay-target';
import { messageEventId, textWebhook } from '../support/whatsapp';

const FIXTURES = join(__dirname, '../fixtures/whatsapp');
const DAY = 24 * 3_600_000;
/** An https destination on a private address: accepted by the configuration, refused by the SSRF guard. */
const BLOCKED_URL = 'https://10.255.255.1/whatsapp';

/** Senders whose messages are streamed in order (the last message of the first two is STOP). */
const SENDERS = ['4915112340001', '4915112340002', '4915112340003'];

function header(request: RelayedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

describe('relay to the business’s own WhatsApp integration', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const target = new RelayTarget(TEST_APP_SECRET);
  let targetKey: string;
  let blockedKey: string;
  /** Every distinct body Meta delivered (its retries included once), in the order sent. */
  const sent: Buffer[] = [];
  /** The streamed text messages by wamid. */
  const texts = new Map<string, string>();

  const post = async (body: Buffer | string) => {
    const res = await gw.postWebhook(body);
    expect(res.status).toBe(200);
    return (await res.json()) as { status: string };
  };
  const rows = (destination: string) =>
    db.query<{ seq: string; status: string; delivery_id: string; consent: string; attempts: number }>(
      `SELECT d.seq, d.status, m.delivery_id, d.consent, d.attempts
         FROM relay_delivery d JOIN relay_message m USING (inbox_id)
        WHERE d.destination = $1 ORDER BY d.seq`,
      [destination],
    );

  beforeAll(async () => {
    await target.start();
    db = await createTestDatabase();
    gw = await startTestApp({
      databaseUrl: db.url,
      config: testConfig(db.url, {
        WHATSAPP_FORWARD_URLS: `${target.url},${BLOCKED_URL}`,
        OUTBOUND_ALLOWLIST: `127.0.0.1:${target.port}`,
        RELAY_BASE_DELAY_MS: '20',
        RELAY_MAX_DELAY_SECONDS: '1',
        RELAY_TIMEOUT_MS: '2000',
      }),
    });
    const destinations = (await json(await gw.api('/v1/relay/destinations'))) as {
      items: { key: string; url: string }[];
    };
    targetKey = destinations.items.find((d) => d.url === target.url)!.key;
    blockedKey = destinations.items.find((d) => d.url === BLOCKED_URL)!.key;
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
    await target.stop();
  });

  it('refuses to start with an http destination not in OUTBOUND_ALLOWLIST, naming the variable', () => {
    const start = () => testConfig(db.url, { WHATSAPP_FORWARD_URLS: 'http://127.0.0.1:9/hook' });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/WHATSAPP_FORWARD_URLS/);
  });

  it('forwards a campaign-like stream, through an outage, to the integration with Meta’s signature', async () => {
    await target.set('unavailable');
    // Statuses and messages from Meta's own documentation and real integrations, then each sender's messages
    // in order with a STOP at the end for two of them; every few deliveries Meta re-sends one (a duplicate).
    for (const name of readdirSync(FIXTURES)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const body = readFileSync(join(FIXTURES, name));
      await post(body);
      sent.push(body);
    }
    for (let i = 1; i <= 4; i++) {
      for (const [s, from] of SENDERS.entries()) {
        const stop = i === 4 && s < 2;
        const body = textWebhook({ wamid: `wamid.R${s}.${i}`, from, body: stop ? 'STOP' : `message ${i}` });
        texts.set(`wamid.R${s}.${i}`, body);
        expect((await post(body)).status).toBe('received');
        sent.push(Buffer.from(body));
        if (i % 2 === 0) expect((await post(body)).status).toBe('duplicate');
      }
      if (i === 2) {
        // Down the other way for a while: nothing listens.
        await eventually(async () => target.received.length >= 5);
        await target.set('refusing');
      }
    }
    await eventually(async () => {
      const all = await rows(targetKey);
      return all.length === sent.length && all.some((r) => r.attempts > 1);
    });
    await target.set('up');

    await eventually(async () => (await rows(targetKey)).every((r) => r.status === 'delivered'), 30_000);

    // Every delivery arrived, byte for byte, signed as Meta signed it; Meta's re-sends were not forwarded again.
    const accepted = target.accepted;
    expect(target.received.every((r) => r.signatureValid)).toBe(true);
    const arrived = new Set(accepted.map((r) => header(r, 'x-consent-gateway-delivery')));
    expect([...arrived].sort()).toEqual(sent.map((b) => deliveryIdOf(b)).sort());
    for (const request of target.received) {
      expect(header(request, 'x-consent-gateway-delivery')).toBe(deliveryIdOf(request.body));
      expect(header(request, 'content-type')).toBe('application/json');
      const attempt = Number(header(request, 'x-consent-gateway-attempt'));
      expect(header(request, 'x-consent-gateway-redelivery')).toBe(attempt > 1 ? 'true' : undefined);
    }
    // Those that met the outage arrived as marked redeliveries.
    expect(accepted.some((r) => header(r, 'x-consent-gateway-redelivery') === 'true')).toBe(true);
  }, 60_000);

  it('keeps each sender’s order: no delivery reaches the integration before an earlier one of the same sender', async () => {
    for (const from of SENDERS) {
      const ofSender = sent
        .filter((b) => b.toString().includes(`"from":"${from}"`))
        .map((b) => deliveryIdOf(b));
      const recorded = (await rows(targetKey))
        .map((r) => r.delivery_id)
        .filter((id) => ofSender.includes(id));
      const firstArrivals = [
        ...new Set(
          target.accepted
            .map((r) => header(r, 'x-consent-gateway-delivery')!)
            .filter((id) => ofSender.includes(id)),
        ),
      ];
      expect(recorded).toHaveLength(4);
      expect(firstArrivals).toEqual(recorded);
    }
  });

  it('tells the integration what the gateway concluded, and the STOPs are in the ledger', async () => {
    const consentOf = (body: Buffer | string) =>
      header(
        target.accepted.find((r) => header(r, 'x-consent-gateway-delivery') === deliveryIdOf(body))!,
        'x-consent-gateway-consent',
      );
    for (const s of SENDERS.keys()) {
      expect(consentOf(texts.get(`wamid.R${s}.4`)!)).toBe(s < 2 ? 'withdrawn' : 'none');
      const events = await db.query<{ status: string }>(
        `SELECT status FROM consent_event WHERE source_event_id = $1`,
        [messageEventId(gw.config, `wamid.R${s}.4`)],
      );
      expect(events.map((e) => e.status)).toEqual(s < 2 ? ['withdrawn'] : []);
    }
    const fixture = (name: string) => readFileSync(join(FIXTURES, name));
    expect(consentOf(fixture('02-meta-doc-status-delivered.json'))).toBe('none');
    expect(consentOf(fixture('03-meta-doc-user-preferences-resume-contact-without-profile.json'))).toBe(
      'granted',
    );
    expect(consentOf(fixture('29-piusalfred-two-changes-messages-and-user-preferences.json'))).toBe(
      'withdrawn',
    );
  });

  it('sends nothing to an address the SSRF guard blocks, and holds each sender’s later deliveries behind it', async () => {
    const blocked = await rows(blockedKey);
    expect(blocked).toHaveLength(sent.length);
    expect(blocked.every((r) => r.status === 'pending')).toBe(true);
    const { items } = await json(await gw.api(`/v1/relay/deliveries?destination=${blockedKey}&limit=1000`));
    const tried = (
      items as { attempts: number; lastError: string | null; lastStatus: number | null }[]
    ).filter((i) => i.attempts > 0);
    expect(tried.length).toBeGreaterThan(0);
    for (const item of tried) {
      expect(item.lastError).toMatch(/URL refused/);
      expect(item.lastStatus).toBeNull();
    }
    // Each streamed sender's first message is tried; its later ones wait for it (order per sender).
    const attemptsOf = (wamid: string) =>
      blocked.find((r) => r.delivery_id === deliveryIdOf(texts.get(wamid)!))!.attempts;
    expect(attemptsOf('wamid.R0.1')).toBeGreaterThan(0);
    expect(attemptsOf('wamid.R0.2')).toBe(0);
  });

  it('reports per destination what was forwarded, what waits and how late it is', async () => {
    const { items } = await json(await gw.api('/v1/relay/destinations'));
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          key: targetKey,
          forwarded: sent.length,
          pending: 0,
          dead: 0,
          lagSeconds: 0,
        }),
        expect.objectContaining({ key: blockedKey, forwarded: 0, pending: sent.length, dead: 0 }),
      ]),
    );
    const metrics = await (await gw.api('/metrics')).text();
    expect(metrics).toContain(`cg_relay_forwarded_total{destination="${targetKey}"} ${sent.length}`);
    expect(metrics).toMatch(new RegExp(`cg_relay_retries_total\\{destination="${blockedKey}"\\} [1-9]`));
  });

  describe('after the horizon (the relay driven by a clock the test moves)', () => {
    let clock: ManualClock;
    let dispatcher: RelayDispatcher;

    beforeAll(async () => {
      // The running loop stops; the same sending path runs on a manual clock instead.
      await gw.app.get(RelayWorker).onModuleDestroy();
      clock = new ManualClock(Date.now());
      dispatcher = new RelayDispatcher(
        gw.app.get(RelayRepository),
        gw.app.get(RelaySender),
        gw.app.get(CryptoService),
        gw.app.get(MetricsService),
        clock,
        gw.config,
      );
    });

    const drain = async () => {
      while ((await dispatcher.dispatchOnce()) > 0);
    };

    it('gives up 7 days after Meta’s delivery, and a replay delivers it, marked as a redelivery', async () => {
      await target.set('unavailable');
      const stop = textWebhook({ wamid: 'wamid.LATE', from: SENDERS[2], body: 'STOP' });
      await post(stop);
      await eventually(async () => (await rows(targetKey)).some((r) => r.delivery_id === deliveryIdOf(stop)));
      await drain();
      clock.advance(6 * DAY);
      await drain();
      const row = () => rows(targetKey).then((all) => all.find((r) => r.delivery_id === deliveryIdOf(stop))!);
      expect((await row()).status).toBe('pending');
      clock.advance(DAY + 60_000);
      await drain();
      expect((await row()).status).toBe('dead');
      expect((await rows(blockedKey)).every((r) => r.status === 'dead')).toBe(true);

      const { items } = await json(await gw.api(`/v1/relay/deliveries?destination=${targetKey}&status=dead`));
      expect(items).toEqual([
        expect.objectContaining({ deliveryId: deliveryIdOf(stop), consent: 'withdrawn' }),
      ]);
      expect(JSON.stringify(items)).not.toContain(SENDERS[2]);

      await target.set('up');
      const replay = await gw.api(`/v1/relay/deliveries/${items[0].id}/replay`, { method: 'POST' });
      expect(replay.status).toBe(202);
      await drain();
      expect((await row()).status).toBe('delivered');
      const last = target.accepted.at(-1)!;
      expect(header(last, 'x-consent-gateway-delivery')).toBe(deliveryIdOf(stop));
      expect(header(last, 'x-consent-gateway-redelivery')).toBe('true');
      expect(last.signatureValid).toBe(true);
    });

    it('replays every dead delivery of a destination at once', async () => {
      const res = await gw.api(`/v1/relay/destinations/${blockedKey}/replay-dead`, { method: 'POST' });
      expect(res.status).toBe(202);
      expect(await json(res)).toEqual({ replayed: sent.length + 1 });
      expect((await rows(blockedKey)).every((r) => r.status === 'pending')).toBe(true);
    });

    it('answers a replay it cannot do with a problem naming what is wrong', async () => {
      const delivered = (await rows(targetKey))[0].seq;
      expect((await gw.api(`/v1/relay/deliveries/${delivered}/replay`, { method: 'POST' })).status).toBe(409);
      expect((await gw.api(`/v1/relay/deliveries/999999999/replay`, { method: 'POST' })).status).toBe(404);
      const bad = await gw.api(`/v1/relay/deliveries/x'1/replay`, { method: 'POST' });
      expect(bad.status).toBe(400);
      expect((await json(bad)).errors).toEqual([expect.objectContaining({ field: 'id' })]);
      const badQuery = await gw.api(`/v1/relay/deliveries?status=lost`);
      expect(badQuery.status).toBe(400);
    });

    it('forwards nothing of a person erased before their delivery went out, and keeps no copy of it', async () => {
      await target.set('unavailable');
      const body = textWebhook({ wamid: 'wamid.ERASED', from: '4915112340099', body: 'STOP' });
      await post(body);
      const id = deliveryIdOf(body);
      await eventually(async () => (await rows(targetKey)).some((r) => r.delivery_id === id));
      await drain();
      const [event] = await db.query<{ subject_id: string }>(
        `SELECT subject_id FROM consent_event WHERE source_event_id = $1`,
        [messageEventId(gw.config, 'wamid.ERASED')],
      );
      const erasure = gw.app.get(SubjectErasureService);
      await gw.app.get(DataSource).transaction((m) => erasure.forget(m, event.subject_id, null));

      const mine = await db.query<{ status: string; body: Buffer | null }>(
        `SELECT d.status, m.body FROM relay_delivery d JOIN relay_message m USING (inbox_id) WHERE m.delivery_id = $1`,
        [id],
      );
      expect(mine).toEqual([
        { status: 'erased', body: null },
        { status: 'erased', body: null },
      ]);
      await target.set('up');
      const before = target.received.length;
      clock.advance(DAY);
      await drain();
      expect(target.received.slice(before).map((r) => header(r, 'x-consent-gateway-delivery'))).not.toContain(
        id,
      );
    });

    it('drops the log of what is settled once past retention, and keeps everything still owed', async () => {
      const before = await rows(targetKey);
      // Every message still has a row pending to the blocked destination (replayed above) but the erased one.
      const removed = await gw.app.get(RelayRepository).purgeLogBefore(new Date(Date.now() + 60_000));
      expect(removed).toBe(1);
      const after = await rows(targetKey);
      expect(after).toHaveLength(before.length - 1);
      expect(after.map((r) => r.status)).not.toContain('erased');
      await db.query(`UPDATE relay_delivery SET status = 'dead' WHERE destination = $1`, [blockedKey]);
      // Dead rows keep their body for a replay: their messages stay.
      expect(await gw.app.get(RelayRepository).purgeLogBefore(new Date(Date.now() + 60_000))).toBe(0);
    });
  });
});
