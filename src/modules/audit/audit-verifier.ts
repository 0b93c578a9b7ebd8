import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  ANCHOR_LABEL,
  entryHashMatches,
  GENESIS_HASH,
  labelledMac,
  macMatches,
  STATE_LABEL,
  verifyChain,
  type ChainPoint,
  type ChainRules,
} from './audit-chain';
import { AUDIT_CHAIN_KEYS, type AuditChainKeys } from './audit-chain-key';
import { AuditChainStateRepository } from './audit-chain-state.repository';
import { AuditChainer } from './audit-chainer';
import { AuditEventRepository } from './audit-event.repository';
import { AuditAnchorInvalidError } from './audit.errors';
import type { AuditChainStateEntity } from './entities/audit-chain-state.entity';

/** Entries read per query while walking the chain. */
const VERIFY_BATCH = 5000;

/**
 * Why the chain does not verify: an entry out of place (`gap`), linked to the wrong hash (`link`) or whose
 * content does not give its hash (`hash`); the checkpoint's entry gone (`checkpoint_missing`, the newest
 * entries were removed) or changed (`checkpoint_changed`); the checkpoint row itself edited (`state_altered`).
 */
export type BreakKind =
  'gap' | 'link' | 'hash' | 'checkpoint_missing' | 'checkpoint_changed' | 'state_altered';

export interface ChainReport {
  valid: boolean;
  mode: 'incremental' | 'full';
  /** Entries known to follow one another from the first: the checkpoint (incremental), or those walked (full). */
  checked: number;
  /** The place of the newest chained entry. */
  head: number;
  first_broken_seq: number | null;
  broken_entry_id: string | null;
  reason: BreakKind | null;
}

export interface Anchor {
  sequence: number;
  hash: string;
  at: string;
  mac: string;
}

export interface AnchorCheck {
  /** The log still holds the anchored entry, unchanged, and the whole chain verifies. */
  valid: boolean;
  anchor_entry: 'present' | 'missing' | 'changed';
  chain: ChainReport;
}

type Trusted = { state: AuditChainStateEntity; rules: ChainRules } | null;

const stateFields = (s: AuditChainStateEntity) => [
  s.legacy_through,
  s.legacy_head,
  s.verified_through,
  s.verified_hash,
];

/**
 * Verifies the chain. On every read only what follows the verified checkpoint is walked, and the checkpoint
 * advances as it passes; the checkpoint's own entry is re-checked each time, so removing the newest entries
 * is noticed. An edit before the checkpoint is found by the full walk (daily, and on demand), and a
 * removal after the last exported anchor by checking that anchor.
 */
@Injectable()
export class AuditVerifier {
  private fullWalk: Promise<ChainReport> | null = null;

  constructor(
    private readonly events: AuditEventRepository,
    private readonly states: AuditChainStateRepository,
    private readonly chainer: AuditChainer,
    @Inject(AUDIT_CHAIN_KEYS) private readonly keys: AuditChainKeys,
  ) {}

  /** Chains what is pending, then verifies from the checkpoint to the head and advances the checkpoint. */
  async incremental(): Promise<ChainReport> {
    return (await this.incrementalWithHead()).report;
  }

  private incrementalWithHead(): Promise<{ report: ChainReport; head: ChainPoint }> {
    return this.events.withChainLock(async (m) => {
      // The state first: it may be sealed only before the first keyed entry is chained.
      const trusted = await this.trustedState(m);
      const head = await this.chainer.chainPending(m);
      if (!trusted) return { report: stateAltered('incremental', head.position), head };
      const { state, rules } = trusted;
      const from: ChainPoint = { position: Number(state.verified_through), hash: state.verified_hash };
      const report =
        (await this.checkpointBreak(from, rules, 'incremental', head.position, m)) ??
        (await this.walk(from, head.position, rules, 'incremental', m));
      if (report.valid && report.checked === head.position && head.position > from.position) {
        state.verified_through = String(report.checked);
        state.verified_hash = head.hash;
        state.verified_at = new Date();
        await this.seal(m, state);
      }
      return { report, head };
    });
  }

  /**
   * Walks the whole chain from its first entry (without holding the chain lock while it walks). Calls made
   * while a walk is under way share it: asking again and again costs one walk, not one each.
   */
  full(): Promise<ChainReport> {
    this.fullWalk ??= this.walkAll().finally(() => {
      this.fullWalk = null;
    });
    return this.fullWalk;
  }

  private async walkAll(): Promise<ChainReport> {
    const { head, trusted } = await this.events.withChainLock(async (m) => {
      const state = await this.trustedState(m);
      return { trusted: state, head: await this.chainer.chainPending(m) };
    });
    if (!trusted) return stateAltered('full', head.position);
    const { state, rules } = trusted;
    const checkpoint = { position: Number(state.verified_through), hash: state.verified_hash };
    const report =
      (await this.checkpointBreak(checkpoint, rules, 'full', head.position)) ??
      (await this.walk({ position: 0, hash: GENESIS_HASH }, head.position, rules, 'full'));
    if (report.valid) {
      await this.events.withChainLock(async (m) => {
        // Read again and checked again: a row edited during the walk must not be sealed.
        const current = await this.trustedState(m);
        if (!current) return;
        current.state.full_verified_at = new Date();
        await this.seal(m, current.state);
      });
    }
    return report;
  }

  /** The head of the chain, signed with the chain key, for an operator to keep outside the gateway. */
  async anchor(): Promise<Anchor> {
    const { head } = await this.incrementalWithHead();
    const at = new Date().toISOString();
    const mac = labelledMac(this.keys.current, ANCHOR_LABEL, [head.position, head.hash, at]);
    return { sequence: head.position, hash: head.hash, at, mac };
  }

  /** Whether the log still holds an anchor exported earlier (truncation and rewrites detected), and verifies. */
  async checkAnchor(anchor: Anchor): Promise<AnchorCheck> {
    if (!macMatches(this.keys.all, ANCHOR_LABEL, [anchor.sequence, anchor.hash, anchor.at], anchor.mac)) {
      throw new AuditAnchorInvalidError('The anchor was not issued by this gateway, or was altered.', [
        { field: 'mac', message: 'does not match the anchor under the audit chain key' },
      ]);
    }
    const chain = await this.full(); // chains what is pending first
    const entry = await this.events.chainedAt(anchor.sequence);
    const anchorEntry = !entry ? 'missing' : entry.hash === anchor.hash ? 'present' : 'changed';
    return { valid: anchorEntry === 'present' && chain.valid, anchor_entry: anchorEntry, chain };
  }

  /**
   * The state row, checked against its MAC. The first start with a chain key seals it (the migration that
   * recorded the legacy boundary could not: the key is not in the database). Only a row as the migration left
   * it is sealed that way: never verified, and no entry chained after the legacy prefix yet; a MAC removed
   * later is an alteration.
   */
  private async trustedState(m: EntityManager): Promise<Trusted> {
    const state = await this.states.read(m);
    if (state.mac === null) {
      const head = await this.events.head(m);
      const pristine =
        Number(state.verified_through) === 0 &&
        !state.full_verified_at &&
        head.position <= Number(state.legacy_through);
      if (!pristine) return null;
      await this.seal(m, state);
    } else if (!macMatches(this.keys.all, STATE_LABEL, stateFields(state), state.mac)) {
      return null;
    }
    const rules = {
      legacyThrough: Number(state.legacy_through),
      legacyHead: state.legacy_head,
      keys: this.keys.all,
    };
    return { state, rules };
  }

  private async seal(m: EntityManager, state: AuditChainStateEntity): Promise<void> {
    state.mac = labelledMac(this.keys.current, STATE_LABEL, stateFields(state));
    await this.states.save(m, state);
  }

  /** The checkpoint's entry must still be there, with the hash it was verified with. */
  private async checkpointBreak(
    checkpoint: ChainPoint,
    rules: ChainRules,
    mode: ChainReport['mode'],
    head: number,
    m?: EntityManager,
  ): Promise<ChainReport | null> {
    if (checkpoint.position === 0) return null;
    const entry = await this.events.chainedAt(checkpoint.position, m);
    if (entry && entry.hash === checkpoint.hash && entryHashMatches(entry, entry.prev_hash, rules))
      return null;
    return {
      valid: false,
      mode,
      checked: 0,
      head,
      first_broken_seq: entry ? Number(entry.seq) : null,
      broken_entry_id: entry?.id ?? null,
      reason: entry ? 'checkpoint_changed' : 'checkpoint_missing',
    };
  }

  /** Verifies the entries after `from` up to place `upTo`, a batch at a time. */
  private async walk(
    from: ChainPoint,
    upTo: number,
    rules: ChainRules,
    mode: ChainReport['mode'],
    m?: EntityManager,
  ): Promise<ChainReport> {
    let point = from;
    while (point.position < upTo) {
      const rows = await this.events.chainedAfter(
        point.position,
        Math.min(VERIFY_BATCH, upTo - point.position),
        m,
      );
      const batch = verifyChain(rows, rules, point);
      if (!batch.valid) {
        return {
          valid: false,
          mode,
          checked: point.position + batch.checked,
          head: upTo,
          first_broken_seq: batch.firstBrokenSeq,
          broken_entry_id: batch.brokenId,
          reason: batch.reason,
        };
      }
      // No entry where the head said there would be one: the newest were removed while we walked.
      if (rows.length === 0) return { ...brokenAt(mode, point.position, upTo), reason: 'gap' };
      point = { position: batch.lastPosition, hash: batch.lastHash };
    }
    return {
      valid: true,
      mode,
      checked: point.position,
      head: upTo,
      first_broken_seq: null,
      broken_entry_id: null,
      reason: null,
    };
  }
}

function brokenAt(mode: ChainReport['mode'], checked: number, head: number): ChainReport {
  return { valid: false, mode, checked, head, first_broken_seq: null, broken_entry_id: null, reason: null };
}

function stateAltered(mode: ChainReport['mode'], head: number): ChainReport {
  return { ...brokenAt(mode, 0, head), reason: 'state_altered' };
}
