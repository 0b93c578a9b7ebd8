'use strict';
/**
 * CPU accounting over a benchmark window, from /proc (Linux): the whole machine, the gateway process, the
 * baseline process, this load-generating process, every `postgres` process (the whole server, not only
 * the benchmark's database), and `other`: the rest of the machine (processes outside the benchmark).
 * Figures are in percent of one core (200% = both cores of a 2-core machine busy).
 *
 * PostgreSQL backends come and go (pools close idle connections), so their time is sampled every 250 ms
 * per pid and summed as deltas; a backend that exits loses at most its last 250 ms.
 */
const fs = require('node:fs');
const os = require('node:os');

const TICK = 100; // USER_HZ; 100 on every mainstream Linux build

function readStat(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

function postgresTicks() {
  const out = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(entry);
    if (s && s.comm === 'postgres') out.set(entry, s.ticks);
  }
  return out;
}

function machineTicks() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] || 0);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  return { idle, total };
}

/** Starts a window; call the returned function at its end for the figures. */
function measure(pids) {
  const started = process.hrtime.bigint();
  const machine0 = machineTicks();
  const self0 = process.cpuUsage();
  const pid0 = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, pid ? (readStat(pid)?.ticks ?? null) : null]),
  );
  let pgLast = postgresTicks();
  let pgTotal = 0;
  const samplePostgres = () => {
    const now = postgresTicks();
    for (const [pid, ticks] of now) pgTotal += ticks - (pgLast.get(pid) ?? ticks);
    // A backend born between samples: count what it used since birth only from the next sample on.
    pgLast = now;
  };
  const timer = setInterval(samplePostgres, 250);
  return () => {
    clearInterval(timer);
    samplePostgres();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const machine1 = machineTicks();
    const self = process.cpuUsage(self0);
    const pct = (ticks) => Math.round((ticks / TICK / seconds) * 100);
    const busy = machine1.total - machine0.total - (machine1.idle - machine0.idle);
    const out = {
      seconds,
      cores: os.cpus().length,
      machine: pct(busy),
      bench: Math.round(((self.user + self.system) / 1e6 / seconds) * 100),
      postgres: pct(pgTotal),
    };
    let known = out.bench + out.postgres;
    for (const [k, pid] of Object.entries(pids)) {
      const end = pid ? (readStat(pid)?.ticks ?? null) : null;
      out[k] = pid0[k] === null || end === null ? null : pct(end - pid0[k]);
      known += out[k] ?? 0;
    }
    out.other = Math.max(0, out.machine - known);
    return out;
  };
}

function format(cpu) {
  const parts = [`machine ${cpu.machine}%/${cpu.cores * 100}%`];
  for (const [k, v] of Object.entries(cpu)) {
    if (['seconds', 'cores', 'machine'].includes(k) || v === null) continue;
    parts.push(`${k} ${v}%`);
  }
  return `cpu: ${parts.join(', ')}`;
}

module.exports = { measure, format };
