'use strict';
/** Fresh databases for the benchmark, created and dropped on the configured server. */
const { Client } = require('pg');

const SERVER = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432';
const created = new Set();

function urlFor(name) {
  return `${SERVER.replace(/\/+$/, '')}/${name}`;
}

async function admin(fn) {
  const client = new Client({ connectionString: urlFor('postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createDatabase(label) {
  const name = `cg_bench_${label}_${process.pid}_${Date.now().toString(36)}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  created.add(name);
  return { name, url: urlFor(name) };
}

async function dropDatabase(name) {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  created.delete(name);
}

async function dropAll() {
  for (const name of [...created]) {
    await dropDatabase(name).catch((e) => process.stderr.write(`could not drop ${name}: ${e.message}\n`));
  }
}

/** Leaves a database in place at exit (BENCH_KEEP_DATABASES). */
function forget(name) {
  created.delete(name);
}

module.exports = { createDatabase, dropDatabase, dropAll, forget, urlFor };
