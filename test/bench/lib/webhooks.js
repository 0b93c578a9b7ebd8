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

module.exports = { sign, stopMessage, intakeMix, loadFixtureTemplates };
