'use strict';
/**
 * An open-loop stream of signed webhooks: requests are sent on a fixed schedule (rate R), whether or not the
 * earlier ones were answered, as Meta does during a campaign; unlike autocannon's closed loop, a slow server
 * does not slow the sender down. Sockets are capped (keep-alive); a request due while every socket is busy
 * waits for one, and that lag is reported (`behind`), so a gateway that cannot acknowledge at R shows as such.
 */
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { sleep } = require('./processes');

function post(agent, url, body, headers) {
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/**
 * Streams `next()` bodies to base+path at `rate` per second for `seconds` (or until `until()` is true, checked
 * each tick). Returns { sent, ok, failed, seconds, achievedRate, behind (requests due but not yet started at
 * the end), ackMs (each request's time to its answer) }. `onAck(item, at)` is called for each 200.
 */
async function stream({
  base,
  path = '/webhooks/whatsapp',
  rate,
  seconds,
  next,
  until,
  onAck,
  maxSockets = 256,
}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const url = new URL(path, base);
  const started = performance.now();
  const end = started + seconds * 1000;
  const acks = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  const pendingSends = new Set();
  let due = 0;
  for (;;) {
    const now = performance.now();
    if (now >= end || (until && until())) break;
    due = Math.floor(((Math.min(now, end) - started) / 1000) * rate);
    // Never more in flight than sockets: a request that would queue inside the agent is counted as behind.
    while (sent < due && inFlight < maxSockets) {
      const item = next();
      const t0 = performance.now();
      sent++;
      inFlight++;
      const p = post(agent, url, item.body, {
        'content-type': 'application/json',
        'x-hub-signature-256': item.signature,
      }).then((status) => {
        inFlight--;
        const at = performance.now();
        if (status === 200) {
          ok++;
          acks.push(at - t0);
          if (onAck) onAck(item, at);
        } else failed++;
        pendingSends.delete(p);
      });
      pendingSends.add(p);
    }
    await sleep(5);
  }
  const stoppedAt = performance.now();
  const behind = Math.max(0, due - sent);
  await Promise.all([...pendingSends]);
  agent.destroy();
  const elapsed = (stoppedAt - started) / 1000;
  return { sent, ok, failed, behind, seconds: elapsed, achievedRate: sent / elapsed, ackMs: acks };
}

module.exports = { stream, post };
