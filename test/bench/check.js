'use strict';
/**
 * 2. Consent check: GET /v1/consents/check over many different phones of a seeded ledger (plus some
 * unknown phones), against the bare Fastify GET /bare with the same query strings.
 */
const cpu = require('./lib/cpu');
const load = require('./lib/load');
const { seededPhone, unknownPhone, isGranted } = require('./lib/seed');

function phoneSequence(subjects, unknownShare, seed = 42) {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const phones = [];
  for (let i = 0; i < subjects; i++) phones.push(seededPhone(i));
  const unknown = Math.round((subjects * unknownShare) / (1 - unknownShare));
  for (let i = 0; i < unknown; i++) phones.push(unknownPhone(i));
  for (let i = phones.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [phones[i], phones[j]] = [phones[j], phones[i]];
  }
  return phones;
}

const query = (phone) => `?phone=${encodeURIComponent(phone)}&purpose=marketing&channel=whatsapp`;

async function sanity(gateway, apiKey) {
  const ask = async (phone) => {
    const res = await fetch(`${gateway.base}/v1/consents/check${query(phone)}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    if (res.status !== 200) throw new Error(`check sanity ${phone}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const granted = await ask(seededPhone(1));
  const withdrawn = await ask(seededPhone(5));
  const unknown = await ask(unknownPhone(1));
  if (!isGranted(1) || isGranted(5)) throw new Error('seed pattern changed');
  if (granted.allowed !== true || withdrawn.status !== 'withdrawn' || unknown.reason !== 'no_consent') {
    throw new Error(
      `seeded ledger not read back as expected: ${JSON.stringify({ granted, withdrawn, unknown })}`,
    );
  }
}

async function runCheck({ gateway, bare, secrets, subjects, seconds, connections, unknownShare, log }) {
  await sanity(gateway, secrets.apiKey);
  log('check: seeded data reads back as expected (granted / withdrawn / unknown)');
  const phones = phoneSequence(subjects, unknownShare);
  const headers = { authorization: `Bearer ${secrets.apiKey}`, accept: 'application/json' };
  const cursor = (start) => {
    let i = start;
    return {
      make: (path) => () => ({ method: 'GET', path: path + query(phones[i++ % phones.length]), headers }),
      get position() {
        return i;
      },
    };
  };
  const pids = { gateway: gateway.pid, bare: bare.pid };

  // Warm-up from the far end of the sequence, so the measured pass starts on phones never asked.
  log('check: warm-up (2 s each, 10 connections)');
  const warm = cursor(Math.max(0, phones.length - 20_000));
  await load.run({
    base: bare.base,
    seconds: 2,
    connections: 10,
    make: warm.make('/bare'),
    title: 'warm-up bare',
  });
  await load.run({
    base: gateway.base,
    seconds: 2,
    connections: 10,
    make: warm.make('/v1/consents/check'),
    title: 'warm-up check',
  });

  let stop = cpu.measure(pids);
  const bareResult = await load.run({
    base: bare.base,
    seconds,
    connections,
    make: cursor(0).make('/bare'),
    title: 'bare GET /bare',
  });
  bareResult.cpu = stop();
  log(load.describe(bareResult));
  log(`  ${cpu.format(bareResult.cpu)}`);

  // Pass 1: every request a phone not asked before: its blind index computed (HMAC) and looked up in the
  // in-memory projection; an unknown phone is answered "nobody" from memory too once the load was whole.
  const first = cursor(0);
  stop = cpu.measure(pids);
  const cold = await load.run({
    base: gateway.base,
    seconds,
    connections,
    make: first.make('/v1/consents/check'),
    title: 'check (distinct phones)',
  });
  cold.cpu = stop();
  cold.distinctPhones = Math.min(first.position, phones.length);
  log(load.describe(cold));
  log(`  ${cpu.format(cold.cpu)}; ${cold.distinctPhones} distinct phones asked`);

  // Pass 2: the same phones again within the cache TTL (60 s): answered from the NOTIFY-invalidated cache.
  const span = Math.max(1, Math.min(first.position, phones.length));
  let j = 0;
  stop = cpu.measure(pids);
  const hot = await load.run({
    base: gateway.base,
    seconds,
    connections,
    make: () => ({ method: 'GET', path: '/v1/consents/check' + query(phones[j++ % span]), headers }),
    title: 'check (cached phones)',
  });
  hot.cpu = stop();
  log(load.describe(hot));
  log(`  ${cpu.format(hot.cpu)}; cycling over the ${span} phones of pass 1`);

  return {
    bare: bareResult,
    cold,
    hot,
    ratio: cold.rps / bareResult.rps,
    hotRatio: hot.rps / bareResult.rps,
  };
}

module.exports = { runCheck };
