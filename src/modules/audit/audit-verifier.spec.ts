import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { GENESIS_HASH, type ChainedEntry } from './audit-chain';
import { chainKeys } from './audit-chain-key';
import type { AuditChainStateRepository } from './audit-chain-state.repository';
import { AuditChainer } from './audit-chainer';
import type { AuditEventRepository, ChainLink } from './audit-event.repository';
import { AuditVerifier } from './audit-verifier';
import { AuditAnchorInvalidError } from './audit.errors';
import type { AuditChainStateEntity } from './entities/audit-chain-state.entity';

type Row = Omit<ChainedEntry, 'chain_seq' | 'prev_hash' | 'hash'> & {
  chain_seq: string | null;
  prev_hash: string | null;
  hash: string | null;
};

/** audit_event and audit_chain_state in memory: what the verifier and the chainer read and write. */
class InMemoryAuditLog {
  rows: Row[] = [];
  state: AuditChainStateEntity = {
    id: 1,
    legacy_through: '0',
    legacy_head: GENESIS_HASH,
    verified_through: '0',
    verified_hash: GENESIS_HASH,
    verified_at: null,
    full_verified_at: null,
    mac: null,
  };
  private nextSeq = 1;
  private readonly m = {} as EntityManager;

  write(count: number): void {
    for (let i = 0; i < count; i++) {
      const seq = String(this.nextSeq++);
      this.rows.push({
        seq,
        id: randomUUID(),
        at: new Date(Date.UTC(2026, 11, 1, 0, 0, Number(seq))),
        actor_type: 'api_key',
        actor_id: 'k-1',
        actor_name: 'bootstrap',
        action: 'POST /v1/vendors',
        target_type: 'vendors',
        target_id: `v-${seq}`,
        ip: '127.0.0.1',
        outcome: 'success',
        details: { lookup: [] },
        chain_seq: null,
        prev_hash: null,
        hash: null,
      });
    }
  }

  private chained(): ChainedEntry[] {
    return (this.rows.filter((r) => r.chain_seq !== null) as ChainedEntry[]).sort(
      (a, b) => Number(a.chain_seq) - Number(b.chain_seq),
    );
  }

  readonly events = {
    withChainLock: <T>(work: (m: EntityManager) => Promise<T>) => work(this.m),
    head: async () => {
      const last = this.chained().at(-1);
      return last
        ? { position: Number(last.chain_seq), hash: last.hash }
        : { position: 0, hash: GENESIS_HASH };
    },
    unchained: async (_m: EntityManager, limit: number) =>
      this.rows.filter((r) => r.chain_seq === null).slice(0, limit),
    link: async (_m: EntityManager, links: readonly ChainLink[]) => {
      for (const l of links) Object.assign(this.rows.find((r) => r.seq === l.seq) as Row, l);
    },
    chainedAfter: async (after: number, limit: number) =>
      this.chained()
        .filter((e) => Number(e.chain_seq) > after)
        .slice(0, limit),
    chainedAt: async (position: number) =>
      this.chained().find((e) => Number(e.chain_seq) === position) ?? null,
  } as unknown as AuditEventRepository;

  readonly states = {
    read: async () => ({ ...this.state }),
    save: async (_m: EntityManager, s: AuditChainStateEntity) => {
      this.state = { ...s };
    },
  } as unknown as AuditChainStateRepository;
}

function verifierOver(log: InMemoryAuditLog, key = randomBytes(32)) {
  const keys = chainKeys({ auditChainKey: key, encryptionKey: randomBytes(32), previousEncryptionKeys: [] });
  return new AuditVerifier(log.events, log.states, new AuditChainer(log.events, keys), keys);
}

describe(AuditVerifier.name, () => {
  describe('incremental verification', () => {
    it('chains what was written, verifies it, and advances the checkpoint to the head', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      log.write(3);
      expect(await verifier.incremental()).toMatchObject({ valid: true, checked: 3, head: 3 });
      expect(log.state).toMatchObject({ verified_through: '3', verified_hash: log.rows[2].hash });
      expect(log.state.mac).toMatch(/^[0-9a-f]{64}$/);
    });

    it('walks only what follows the checkpoint: an edit before it waits for the full walk', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      log.write(5);
      await verifier.incremental();
      log.rows[1].actor_name = 'someone else';
      log.write(1);
      expect(await verifier.incremental()).toMatchObject({ valid: true, checked: 6 });
      expect(await verifier.full()).toMatchObject({
        valid: false,
        mode: 'full',
        first_broken_seq: 2,
        broken_entry_id: log.rows[1].id,
        reason: 'hash',
      });
    });

    it('does not advance past a broken entry, and keeps reporting it', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      log.write(2);
      await verifier.incremental();
      log.write(2);
      await verifier.full(); // chains them, leaves the checkpoint where it was
      log.rows[2].outcome = 'failure';
      log.write(1);
      for (let i = 0; i < 2; i++)
        expect(await verifier.incremental()).toMatchObject({ valid: false, first_broken_seq: 3, checked: 2 });
      expect(log.state.verified_through).toBe('2');
    });

    it('notices the newest entries removed back to the checkpoint', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      log.write(4);
      await verifier.incremental();
      log.rows.splice(2);
      expect(await verifier.incremental()).toMatchObject({ valid: false, reason: 'checkpoint_missing' });
    });
  });

  describe('full verification', () => {
    it('is shared by calls made while it runs: one walk, however many ask', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      log.write(3);
      const walks = jest.spyOn(log.events, 'chainedAfter');
      const reports = await Promise.all([verifier.full(), verifier.full(), verifier.full()]);
      expect(reports.every((r) => r.valid && r.checked === 3)).toBe(true);
      expect(walks).toHaveBeenCalledTimes(1);
      await verifier.full();
      expect(walks).toHaveBeenCalledTimes(2);
    });
  });

  describe('the state row', () => {
    it('is sealed on first use, while nothing follows the legacy prefix', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      expect(log.state.mac).toBeNull();
      log.write(1);
      expect(await verifier.incremental()).toMatchObject({ valid: true });
      expect(log.state.mac).toMatch(/^[0-9a-f]{64}$/);
    });

    it('is not sealed again once its MAC was removed after keyed entries were chained', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      log.write(2);
      await verifier.incremental();
      // An editor resets the row to its never-verified form, to move the legacy boundary unnoticed.
      log.state = {
        ...log.state,
        mac: null,
        verified_through: '0',
        verified_hash: GENESIS_HASH,
        legacy_through: '1',
      };
      expect(await verifier.incremental()).toMatchObject({ valid: false, reason: 'state_altered' });
      expect(await verifier.full()).toMatchObject({ valid: false, reason: 'state_altered' });
    });

    it('is refused when edited behind its back', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      log.write(2);
      await verifier.incremental();
      log.state.legacy_through = '2';
      expect(await verifier.incremental()).toMatchObject({ valid: false, reason: 'state_altered' });
    });
  });

  describe('anchors', () => {
    it('anchors the head, and a kept anchor verifies while the log holds it', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      log.write(3);
      const anchor = await verifier.anchor();
      expect(anchor).toMatchObject({
        sequence: 3,
        hash: log.rows[2].hash,
        mac: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      log.write(2);
      expect(await verifier.checkAnchor(anchor)).toMatchObject({ valid: true, anchor_entry: 'present' });
    });

    it('says the anchored entry is missing when the newest entries were removed', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      log.write(3);
      const anchor = await verifier.anchor();
      log.rows.splice(2);
      expect(await verifier.checkAnchor(anchor)).toMatchObject({ valid: false, anchor_entry: 'missing' });
    });

    it('says it changed when another entry took its place', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      log.write(3);
      const anchor = await verifier.anchor();
      log.rows.splice(2);
      log.write(1);
      expect(await verifier.checkAnchor(anchor)).toMatchObject({ valid: false, anchor_entry: 'changed' });
    });

    it('refuses an anchor altered, or issued under another key', async () => {
      const log = new InMemoryAuditLog();
      const verifier = verifierOver(log);
      log.write(3);
      const anchor = await verifier.anchor();
      await expect(verifier.checkAnchor({ ...anchor, sequence: 2 })).rejects.toBeInstanceOf(
        AuditAnchorInvalidError,
      );
      const foreign = await verifierOver(new InMemoryAuditLog()).anchor();
      await expect(verifier.checkAnchor(foreign)).rejects.toBeInstanceOf(AuditAnchorInvalidError);
    });
  });
});
