'use strict';
/** autocannon, programmatically, with a request generator per request and a compact summary. */
const autocannon = require('autocannon');

/**
 * Runs `connections` connections for `seconds` against base+path. `make()` returns
 * { method, path, headers, body } for each request (called from autocannon's setupRequest).
 */
async function run({ base, seconds, connections, make, title, timeoutSec = 10 }) {
  const result = await autocannon({
    url: base,
    connections,
    duration: seconds,
    timeout: timeoutSec,
    title,
    requests: [
      {
        setupRequest(request) {
          const r = make();
          request.method = r.method;
          request.path = r.path;
          request.headers = r.headers;
          request.body = r.body;
          return request;
        },
      },
    ],
  });
  const total = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  return {
    title,
    connections,
    seconds: result.duration,
    total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: result.statusCodeStats,
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    mean: result.latency.mean ?? result.latency.average,
  };
}

function describe(r) {
  const codes = Object.entries(r.statusCodes || {})
    .map(([c, s]) => `${c}×${s.count}`)
    .join(' ');
  return (
    `${r.title.padEnd(22)} ${Math.round(r.rps).toString().padStart(6)} req/s (2xx)  ` +
    `p50 ${r.p50}ms p90 ${r.p90}ms p99 ${r.p99}ms max ${r.max}ms  ` +
    `total ${r.total} non2xx ${r.non2xx} errors ${r.errors} timeouts ${r.timeouts}  [${codes}]`
  );
}

module.exports = { run, describe };
