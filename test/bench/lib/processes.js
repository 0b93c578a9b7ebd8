'use strict';
/** Child processes of the benchmark: the gateway (`node dist/main.js`) and the bare Fastify baseline. */
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
/**
 * The checkout whose build is measured (its dist/ must be built): BENCH_GATEWAY_DIR, by default this one. The
 * bench code stays this checkout's, so one bench measures two builds (e.g. main before a change) alike.
 */
const GATEWAY_DIR = path.resolve(process.env.BENCH_GATEWAY_DIR || ROOT);
const children = new Set();

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Keeps the last lines a child wrote, to show them when something goes wrong. */
function tail(stream, lines, max = 200) {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop();
    for (const line of parts) {
      lines.push(line);
      if (lines.length > max) lines.shift();
    }
  });
}

function track(child, name) {
  const lines = [];
  tail(child.stdout, lines);
  tail(child.stderr, lines);
  const handle = {
    name,
    child,
    pid: child.pid,
    lines,
    exited: false,
    exitCode: null,
    exit: new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        handle.exited = true;
        handle.exitCode = code ?? signal;
        children.delete(handle);
        resolve(handle.exitCode);
      }),
    ),
  };
  children.add(handle);
  return handle;
}

async function waitReady(handle, url, timeoutMs, isReady) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (handle.exited) {
      throw new Error(
        `${handle.name} exited (${handle.exitCode}) before it was ready:\n${handle.lines.join('\n')}`,
      );
    }
    if (isReady()) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        /* not yet */
      }
    }
    await sleep(100);
  }
  throw new Error(`${handle.name} not ready after ${timeoutMs} ms:\n${handle.lines.join('\n')}`);
}

/** Starts the gateway as `node dist/main.js` and resolves once it printed its banner and /health answers. */
async function startGateway({ databaseUrl, dataDir, secrets, extraEnv = {} }) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL || 'warn',
    DATA_DIR: dataDir,
    BOOTSTRAP_API_KEY: secrets.apiKey,
    WHATSAPP_APP_SECRET: secrets.appSecret,
    WHATSAPP_VERIFY_TOKEN: secrets.verifyToken,
    ENCRYPTION_KEY: secrets.encryptionKey,
    BLIND_INDEX_KEY: secrets.blindIndexKey,
    // The load comes from one key at >10k req/s: the per-key limit (60,000 a minute by default) is raised
    // out of reach rather than turned off, so its counting stays in the measured path. Signed webhooks are
    // never counted.
    RATE_LIMIT_PER_API_KEY: '1000000000',
    ...extraEnv,
  };
  // e.g. BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the gateway under load.
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS || '').split(/\s+/).filter(Boolean);
  // BENCH_GATEWAY_MAIN: another build's main.js, to compare a candidate change against dist/ (A/B).
  const main = process.env.BENCH_GATEWAY_MAIN || path.join(GATEWAY_DIR, 'dist', 'main.js');
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd: GATEWAY_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const handle = track(child, 'gateway');
  let banner = false;
  child.stdout.on('data', (chunk) => {
    if (String(chunk).includes('Consent Gateway is running')) banner = true;
  });
  const base = `http://127.0.0.1:${port}`;
  await waitReady(handle, `${base}/health`, 60_000, () => banner);
  handle.base = base;
  return handle;
}

/** Starts the bare Fastify baseline (test/bench/bare-server.js) in its own process. */
async function startBare(bodyLimit) {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'bare-server.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), BODY_LIMIT: String(bodyLimit) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const handle = track(child, 'bare fastify');
  const base = `http://127.0.0.1:${port}`;
  await waitReady(handle, `${base}/bare`, 20_000, () => true);
  handle.base = base;
  return handle;
}

/** SIGTERM, then SIGKILL if the child has not exited after `graceMs`. Only our own children, by pid. */
async function stop(handle, graceMs = 8000) {
  if (!handle || handle.exited) return;
  try {
    handle.child.kill('SIGTERM');
  } catch {
    /* already gone */
  }
  const timer = sleep(graceMs).then(() => 'timeout');
  if ((await Promise.race([handle.exit, timer])) === 'timeout' && !handle.exited) {
    try {
      handle.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    await handle.exit;
  }
}

async function stopAll() {
  await Promise.all([...children].map((h) => stop(h)));
}

/** Synchronous last resort (process 'exit'): kill whatever child is still running. */
function killAllSync() {
  for (const h of children) {
    try {
      h.child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
}

module.exports = { ROOT, GATEWAY_DIR, freePort, sleep, startGateway, startBare, stop, stopAll, killAllSync };
