'use strict';
/**
 * Signed WhatsApp webhook bodies, every one different (the gateway deduplicates identical bodies by their
 * SHA-256): the fixtures in test/fixtures/whatsapp with fresh wamids and timestamps, and synthetic typed
 * STOP messages.
 */
const { createHmac } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'whatsapp');
const WAMID = /wamid\.[A-Za-z0-9+/=_-]+/g;
const TIMESTAMP = /("timestamp"\s*:\s*)("?)(\d+)("?)/g;
const STOP_WORDS = ['STOP', 'Stop!', 'stop', 'arrêt', 'Unsubscribe', 'STOP 🛑', 'baja', 'Stopp'];

function sign(appSecret, body) {
  return 'sha256=' + createHmac('sha256', appSecret).update(body).digest('hex');
}

/** Each fixture as a function (unique tag) → body text with the original bytes except ids and timestamps. */
function loadFixtureTemplates() {
  return fs
    .readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const text = fs.readFileSync(path.join(FIXTURES, file), 'utf8');
      return {
        file,
        render(tag, nowSeconds) {
          let i = 0;
          return text
            .replace(WAMID, () => `wamid.BENCH${tag}x${i++}`)
            .replace(TIMESTAMP, (_m, key, q1, _ts, q2) => `${key}${q1}${nowSeconds}${q2}`);
        },
      };
    });
}

/** A typed STOP (any of several languages and spellings) from `waId`, as Meta delivers it. */
function stopMessage({ waId, wamid, text = 'STOP', timestamp = Math.floor(Date.now() / 1000) }) {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
              contacts: [{ profile: { name: 'Bench Person' }, wa_id: waId }],
              messages: [
                { from: waId, id: wamid, timestamp: String(timestamp), type: 'text', text: { body: text } },
              ],
            },
            field: 'messages',
          },
        ],
      },
    ],
  });
}

/**
 * The intake mix: every other request a synthetic STOP from one of `senders` distinct French mobile
 * numbers (+33 6 3…), the others the fixtures in turn. Returns next() → { body, signature, kind }.
 */
function intakeMix({ appSecret, runTag, senders = 20_000 }) {
  const fixtures = loadFixtureTemplates();
  let n = 0;
  const counts = { stop: 0, fixture: 0 };
  return {
    fixtures: fixtures.map((f) => f.file),
    counts,
    next() {
      const i = n++;
      const tag = `${runTag}${i.toString(36)}`;
      const now = Math.floor(Date.now() / 1000);
      let body;
      if (i % 2 === 0) {
        counts.stop++;
        body = stopMessage({
          waId: String(33630000000 + ((i >> 1) % senders)),
          wamid: `wamid.BENCH${tag}`,
          text: STOP_WORDS[(i >> 1) % STOP_WORDS.length],
          timestamp: now,
        });
      } else {
        counts.fixture++;
        body = fixtures[(i >> 1) % fixtures.length].render(tag, now);
      }
      return { body, signature: sign(appSecret, body) };
    },
  };
}

const readFixture = (file) => JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8'));

/**
 * A campaign's status webhooks, as Meta sends them: each message sent to a recipient comes back as `sent`
 * (shape of fixture 25, business-initiated), then `delivered` (fixture 02), then `read` (the delivered shape
 * without conversation and pricing, as Meta sends reads). Every message has a fresh wamid, so every body is
 * new. `recipient(k)` gives the k-th message's recipient wa_id (digits). next() → { body, signature, kind }.
 */
function statusStream({ appSecret, runTag, recipient = (k) => String(33640000000 + (k % 100_000)) }) {
  const sent = readFixture('25-bindambc-status-sent-business-initiated.json');
  const delivered = readFixture('02-meta-doc-status-delivered.json');
  // Each kind's body rendered once with placeholders, then filled per webhook (a million are made for the
  // backlog group, so no JSON round trip per body).
  const template = (envelope, kind) => {
    const copy = structuredClone(envelope);
    const status = copy.entry[0].changes[0].value.statuses[0];
    Object.assign(status, { id: '@ID@', status: kind, timestamp: '@TS@', recipient_id: '@TO@' });
    if (kind === 'read') {
      delete status.conversation;
      delete status.pricing;
    }
    return JSON.stringify(copy).split(/"@(?:ID|TS|TO)@"/);
  };
  const kinds = [
    { kind: 'sent', parts: template(sent, 'sent') },
    { kind: 'delivered', parts: template(delivered, 'delivered') },
    { kind: 'read', parts: template(delivered, 'read') },
  ];
  let n = 0;
  return {
    next() {
      const i = n++;
      const k = Math.floor(i / 3);
      const { kind, parts } = kinds[i % 3];
      const id = JSON.stringify(`wamid.BENCH${runTag}s${k.toString(36)}`);
      const ts = JSON.stringify(String(Math.floor(Date.now() / 1000)));
      const body = parts[0] + id + parts[1] + ts + parts[2] + JSON.stringify(recipient(k)) + parts[3];
      return { body, signature: sign(appSecret, body), kind };
    },
  };
}

/** Typed STOPs, each from a sender never seen before (fresh wa_ids from `firstWaId` on). */
function newSenderStops({ appSecret, runTag, firstWaId = 33650000000 }) {
  let n = 0;
  return {
    next() {
      const i = n++;
      const body = stopMessage({
        waId: String(firstWaId + i),
        wamid: `wamid.BENCH${runTag}n${i.toString(36)}`,
        text: STOP_WORDS[i % STOP_WORDS.length],
      });
      return { body, signature: sign(appSecret, body), kind: 'stop' };
    },
  };
}

module.exports = { sign, stopMessage, intakeMix, loadFixtureTemplates, statusStream, newSenderStops };
