import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { QueueService } from '../../platform/queue/queue.service';
import { RUNTIME_ROLES, type RuntimeRoles } from '../../platform/runtime';
import { ConnectionService } from '../connectors/connection.service';
import { ConnectorFactory } from '../connectors/connector.factory';
import {
  AuthFailedError,
  ConnectorError,
  type ConnectionType,
  type ConsentPush,
  type ConsentStateSnapshot,
  type PushOutcome,
  RateLimitedError,
  TransientError,
} from '../connectors/connector.port';
import { ConsentChangeListener } from '../ledger/consent-change.listener';
import type { ConsentStatus } from '../ledger/ledger.types';
import {
  PROPAGATION_CHANNEL,
  PROPAGATION_DRAIN_QUEUE,
  PROPAGATION_MAINTENANCE_QUEUE,
  type DeliveryOperation,
  type DrainJob,
} from './propagation.constants';
import { pacerFor, type SlidingWindowPacer } from '../../platform/pacing/pacer';
import { decideRetry } from './retry-policy';
import { effectiveState } from '../ledger/conflict-rules';
import { DpaGate } from '../vendors/dpa-gate';
import { DPA_MISSING } from '../vendors/registry.types';

/** Batches of one connection in flight at once. */
const LANES = 4;

interface Lane {
  /** Set by the lane that sees a reason to stop (paused, auth failed, rate limited). */
  halt: boolean;
  result: 'drained' | 'paused';
}

/** How long a drain lease lasts without renewal; a crashed worker's connections are free after this. */
const LEASE_SECONDS = 20;

/** Items per vendor call, as each vendor's batch endpoints allow. */
const BATCH_SIZE: Record<ConnectionType, number> = { hubspot: 100, salesforce: 200, webhook: 50 };

interface Claimed {
  id: string;
  subject_id: string;
  operation: DeliveryOperation;
  attempts: number;
  created_at: Date;
}

type Update = {
  id: string;
  status: 'succeeded' | 'skipped' | 'retrying' | 'dead';
  reason: string | null;
  error: string | null;
  errorClass: string | null;
  nextAttemptAt: Date | null;
  refund: boolean;
  vendorReference: string | null;
};

/**
 * Applies deliveries at their connections. One process at a time drains a connection (a lease on the
 * connection row), so pacing to the vendor's limit is exact and changes of one person are never applied
 * out of order. A drain claims due deliveries in batches, pushes each person's *current* state, and records
 * every outcome; deliveries a crashed worker left in progress are taken back when the lease is re-taken.
 */
@Injectable()
export class PropagationWorker implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(PropagationWorker.name);
  private readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly pacers = new Map<string, SlidingWindowPacer>();
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly factory: ConnectorFactory,
    private readonly crypto: CryptoService,
    private readonly jobs: QueueService,
    private readonly metrics: MetricsService,
    private readonly listener: ConsentChangeListener,
    private readonly gate: DpaGate,
    @Inject(RUNTIME_ROLES) private readonly roles: RuntimeRoles,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.jobs.start([
      { name: PROPAGATION_DRAIN_QUEUE, retryLimit: 3, retryDelay: 1, expireInSeconds: 60, policy: 'short' },
      { name: PROPAGATION_MAINTENANCE_QUEUE, retryLimit: 0, expireInSeconds: 120 },
    ]);
    this.metrics.deliveriesQueued.reset();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.roles.worker) return;
    this.listener.on(PROPAGATION_CHANNEL, (payload) =>
      payload
        .split(',')
        .filter(Boolean)
        .forEach((id) => this.kick(id)),
    );
    await this.jobs.work<DrainJob>(
      PROPAGATION_DRAIN_QUEUE,
      { batchSize: 20, pollingIntervalSeconds: 1 },
      async (jobs) => {
        for (const job of jobs) this.kick(job.data.connectionId);
      },
    );
    await this.jobs.work(PROPAGATION_MAINTENANCE_QUEUE, { pollingIntervalSeconds: 30 }, () => this.kickAll());
    await this.jobs.boss.schedule(PROPAGATION_MAINTENANCE_QUEUE, '* * * * *');
    await this.kickAll();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Kicks every connection with due or orphaned deliveries (start-up and every minute). */
  async kickAll(): Promise<void> {
    const rows: { connection_id: string }[] = await this.dataSource.query(
      `SELECT DISTINCT connection_id FROM delivery WHERE status IN ('pending','retrying','in_progress')`,
    );
    rows.forEach((r) => this.kick(r.connection_id));
  }

  /** Makes sure this process drains the connection soon, unless another process holds its lease. */
  kick(connectionId: string): void {
    if (this.stopping) return;
    if (this.running.has(connectionId)) {
      this.again.add(connectionId);
      return;
    }
    const run = this.run(connectionId)
      .catch((error: Error) =>
        this.logger.error({ connectionId, err: { message: error.message } }, 'drain failed'),
      )
      .finally(() => this.running.delete(connectionId));
    this.running.set(connectionId, run);
  }

  /** Resolves when no drain of this process is running (tests, graceful stops). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.allSettled([...this.running.values()]);
  }

  private async run(connectionId: string): Promise<void> {
    for (;;) {
      this.again.delete(connectionId);
      const lease = await this.acquireLease(connectionId);
      if (!lease.acquired) {
        // Someone else drains it; if they died, come back when their lease runs out.
        if (lease.until) await this.scheduleKick(connectionId, new Date(lease.until.getTime() + 500));
        return;
      }
      let outcome: 'drained' | 'paused';
      try {
        outcome = await this.drain(connectionId);
      } finally {
        await this.releaseLease(connectionId);
      }
      // A paused connection keeps its deliveries until it is resumed (which kicks it again).
      if (outcome === 'paused') return;
      // Released first, checked second: a kick refused while we held the lease is not lost.
      if (this.stopping || !(this.again.has(connectionId) || (await this.hasDue(connectionId)))) break;
    }
    await this.scheduleNextRetry(connectionId);
  }

  private async acquireLease(connectionId: string): Promise<{ acquired: boolean; until: Date | null }> {
    const [rows]: [{ id: string }[], number] = await this.dataSource.query(
      `UPDATE connection SET drain_owner = $2, drain_lease_until = now() + make_interval(secs => $3)
        WHERE id = $1 AND (drain_owner IS NULL OR drain_owner = $2 OR drain_lease_until < now()) RETURNING id`,
      [connectionId, this.owner, LEASE_SECONDS],
    );
    if (rows.length) return { acquired: true, until: null };
    const held: { drain_lease_until: Date | null }[] = await this.dataSource.query(
      `SELECT drain_lease_until FROM connection WHERE id = $1`,
      [connectionId],
    );
    return { acquired: false, until: held[0]?.drain_lease_until ?? null };
  }

  private async renewLease(connectionId: string): Promise<boolean> {
    const [rows]: [unknown[], number] = await this.dataSource.query(
      `UPDATE connection SET drain_lease_until = now() + make_interval(secs => $3)
        WHERE id = $1 AND drain_owner = $2 RETURNING id`,
      [connectionId, this.owner, LEASE_SECONDS],
    );
    return rows.length > 0;
  }

  private async releaseLease(connectionId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE connection SET drain_owner = NULL, drain_lease_until = NULL WHERE id = $1 AND drain_owner = $2`,
      [connectionId, this.owner],
    );
  }

  private async hasDue(connectionId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM delivery WHERE connection_id = $1 AND status IN ('pending','retrying') AND next_attempt_at <= now() LIMIT 1`,
      [connectionId],
    );
    return rows.length > 0;
  }

  private async scheduleKick(connectionId: string, at: Date): Promise<void> {
    // The queue keeps one waiting job per singleton key (short policy), so each timed kick gets its own.
    await this.jobs.send(PROPAGATION_DRAIN_QUEUE, { connectionId } satisfies DrainJob, {
      startAfter: at,
      singletonKey: `${connectionId}@${at.getTime()}`,
    });
  }

  private async scheduleNextRetry(connectionId: string): Promise<void> {
    const rows: { at: Date | null }[] = await this.dataSource.query(
      `SELECT min(next_attempt_at) AS at FROM delivery WHERE connection_id = $1 AND status IN ('pending','retrying')`,
      [connectionId],
    );
    const at = rows[0]?.at;
    if (at && !this.stopping)
      await this.scheduleKick(connectionId, new Date(Math.max(new Date(at).getTime(), Date.now() + 200)));
  }

  private pacer(connectionId: string, limit: { max: number; windowMs: number }): SlidingWindowPacer {
    let pacer = this.pacers.get(connectionId);
    if (
      !pacer ||
      pacer.max !== Math.max(1, Math.floor(limit.max * 0.95)) ||
      pacer.windowMs !== limit.windowMs
    ) {
      pacer = pacerFor(limit);
      this.pacers.set(connectionId, pacer);
    }
    return pacer;
  }

  private async drain(connectionId: string): Promise<'drained' | 'paused'> {
    // We hold the lease: anything still in progress belongs to a worker that died mid-call.
    await this.dataSource.query(
      `UPDATE delivery SET status = 'retrying', next_attempt_at = now(), updated_at = now(),
              last_error = 'the worker stopped during the attempt; retried'
        WHERE connection_id = $1 AND status = 'in_progress'`,
      [connectionId],
    );
    // Several batches in flight at once (the pacer still holds the connection to its limit): a batch's
    // own database work would otherwise leave the vendor's budget unused.
    const shared: Lane = { halt: false, result: 'drained' };
    await Promise.all(Array.from({ length: LANES }, () => this.lane(connectionId, shared)));
    return shared.result;
  }

  private async lane(connectionId: string, shared: Lane): Promise<void> {
    while (!this.stopping && !shared.halt && (await this.renewLease(connectionId))) {
      const context = await this.connections.context(connectionId);
      switch (context.status) {
        case 'paused':
          shared.halt = true;
          shared.result = 'paused';
          return;
        case 'auth_failed':
          shared.halt = true;
          await this.endDue(
            connectionId,
            'dead',
            `connection auth_failed: reconnect it, then retry (${context.name})`,
          );
          return;
        case 'disconnected':
          shared.halt = true;
          await this.endDue(connectionId, 'skipped', 'connection_disconnected');
          return;
        case 'active':
          break;
      }
      const claimed = await this.claim(connectionId, BATCH_SIZE[context.type]);
      if (claimed.length === 0) return;
      const pacer = this.pacer(connectionId, context.rateLimit);
      const connector = this.factory.create(context, async () => {
        await pacer.take();
        this.metrics.vendorCalls.inc({ connection: context.name });
      });
      const built = await this.buildPushes(connectionId, claimed);
      // Art. 28: personal data goes out only under a valid DPA; withdrawals and erasures always do (flagged).
      const operationOf = new Map(claimed.map((c) => [c.id, c.operation]));
      const held = await this.gate.screen(
        connectionId,
        built.map((p) => ({
          deliveryId: p.deliveryId,
          operation: operationOf.get(p.deliveryId)!,
          states: p.states,
        })),
      );
      const heldOutcomes: PushOutcome[] = [...held].map((deliveryId) => ({
        deliveryId,
        outcome: 'skipped' as const,
        reason: DPA_MISSING,
      }));
      const pushes = built.filter((p) => !held.has(p.deliveryId));
      if (pushes.length === 0) {
        await this.record(connectionId, context.name, claimed, heldOutcomes);
        continue;
      }
      let outcomes: PushOutcome[];
      try {
        outcomes = [...heldOutcomes, ...(await connector.pushConsent(pushes))];
      } catch (error) {
        const classified =
          error instanceof ConnectorError
            ? error
            : new TransientError(`unexpected: ${(error as Error).message}`);
        let reported: ConnectorError = classified;
        if (classified instanceof AuthFailedError) {
          await this.connections.markAuthFailed(connectionId, classified.message);
          reported = new AuthFailedError(`connection auth_failed: ${classified.message}`);
        }
        outcomes = [
          ...heldOutcomes,
          ...pushes.map((p) => ({
            deliveryId: p.deliveryId,
            outcome: 'failed' as const,
            error: reported,
          })),
        ];
        await this.record(connectionId, context.name, claimed, outcomes);
        if (classified instanceof RateLimitedError || classified instanceof AuthFailedError) {
          shared.halt = true;
          return;
        }
        continue;
      }
      await this.record(connectionId, context.name, claimed, outcomes, pushes);
    }
  }

  private async endDue(connectionId: string, status: 'dead' | 'skipped', reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE delivery SET status = $2, reason = $3, completed_at = now(), updated_at = now()
        WHERE connection_id = $1 AND status IN ('pending','retrying')`,
      [connectionId, status, reason],
    );
  }

  private async claim(connectionId: string, limit: number): Promise<Claimed[]> {
    const [rows]: [Claimed[], number] = await this.dataSource.query(
      `UPDATE delivery SET status = 'in_progress', attempts = attempts + 1, started_at = now(), updated_at = now()
        WHERE id IN (SELECT d.id FROM delivery d WHERE d.connection_id = $1 AND d.status IN ('pending','retrying')
                        AND d.next_attempt_at <= now()
                        -- one push per person at a time, so a later state never lands before an earlier one
                        AND NOT EXISTS (SELECT 1 FROM delivery p WHERE p.connection_id = d.connection_id
                                          AND p.subject_id = d.subject_id AND p.status = 'in_progress')
                        ORDER BY d.next_attempt_at, d.id LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, subject_id, operation, attempts, created_at`,
      [connectionId, limit],
    );
    return rows;
  }

  /** Each person's current state and identifiers, decrypted only for this call. */
  private async buildPushes(connectionId: string, claimed: Claimed[]): Promise<ConsentPush[]> {
    const subjectIds = [...new Set(claimed.map((c) => c.subject_id))];
    const states: {
      subject_id: string;
      purpose: string;
      channel: string;
      scope: string;
      status: ConsentStatus;
      captured_at: Date;
      source: string;
      event_id: string;
      method: string | null;
      legal_basis: string | null;
    }[] = await this.dataSource.query(
      `SELECT cs.subject_id, cs.purpose, cs.channel, cs.scope, cs.status, cs.captured_at, cs.source, cs.event_id,
              ce.method, ce.legal_basis
         FROM consent_state cs JOIN consent_event ce ON ce.id = cs.event_id
        WHERE cs.subject_id = ANY($1) ORDER BY cs.purpose, cs.channel, cs.scope`,
      [subjectIds],
    );
    const identities: { subject_id: string; kind: string; value_ciphertext: Buffer; key_id: string }[] =
      await this.dataSource.query(
        `SELECT subject_id, kind, value_ciphertext, key_id FROM subject_identity
          WHERE subject_id = ANY($1) AND kind IN ('phone','wa_id','email') ORDER BY created_at`,
        [subjectIds],
      );
    const remote = await this.connections.remoteIds(connectionId, subjectIds);
    const bySubject = new Map<
      string,
      { phone: string | null; waId: string | null; email: string | null; states: ConsentStateSnapshot[] }
    >();
    for (const id of subjectIds) bySubject.set(id, { phone: null, waId: null, email: null, states: [] });
    for (const row of identities) {
      const entry = bySubject.get(row.subject_id)!;
      const value = this.crypto.openText({ ciphertext: row.value_ciphertext, keyId: row.key_id });
      if (row.kind === 'phone') entry.phone ??= value;
      if (row.kind === 'wa_id') entry.waId ??= value;
      if (row.kind === 'email') entry.email ??= value;
    }
    for (const s of states) {
      bySubject.get(s.subject_id)!.states.push({
        purpose: s.purpose,
        channel: s.channel,
        scope: s.scope,
        status: s.status,
        capturedAt: new Date(s.captured_at).toISOString(),
        source: s.source,
        eventId: s.event_id,
        method: s.method,
        legalBasis: s.legal_basis,
      });
    }
    // Connectors get the state in force for each scope (the conflict rules applied), not raw rows: a
    // grant of every number after a withdrawal of one is in force for that one too.
    for (const entry of bySubject.values()) entry.states = inForce(entry.states);
    return claimed.map((c) => {
      const entry = bySubject.get(c.subject_id)!;
      return {
        deliveryId: c.id,
        subjectId: c.subject_id,
        remoteId: remote.get(c.subject_id) ?? null,
        ...entry,
      };
    });
  }

  private async record(
    connectionId: string,
    connectionName: string,
    claimed: Claimed[],
    outcomes: PushOutcome[],
    pushes: ConsentPush[] = [],
  ) {
    const byId = new Map(claimed.map((c) => [c.id, c]));
    const subjectOf = new Map(pushes.map((p) => [p.deliveryId, p.subjectId]));
    const updates: Update[] = [];
    const remotes: { subjectId: string; remoteId: string; pushed: Record<string, unknown> | null }[] = [];
    const now = Date.now();
    for (const outcome of outcomes) {
      const delivery = byId.get(outcome.deliveryId);
      if (!delivery) continue;
      switch (outcome.outcome) {
        case 'succeeded':
          updates.push({
            id: delivery.id,
            status: 'succeeded',
            reason: null,
            error: null,
            errorClass: null,
            nextAttemptAt: null,
            refund: false,
            vendorReference: outcome.vendorReference ?? null,
          });
          if (outcome.remoteId)
            remotes.push({
              subjectId: subjectOf.get(delivery.id) ?? delivery.subject_id,
              remoteId: outcome.remoteId,
              pushed: outcome.pushed ?? null,
            });
          this.metrics.deliveryLatency.observe(
            { connection: connectionName },
            (now - new Date(delivery.created_at).getTime()) / 1000,
          );
          break;
        case 'skipped':
          updates.push({
            id: delivery.id,
            status: 'skipped',
            reason: outcome.reason,
            error: null,
            errorClass: null,
            nextAttemptAt: null,
            refund: false,
            vendorReference: null,
          });
          break;
        case 'failed': {
          const error = outcome.error;
          const decision = decideRetry(error.errorClass, delivery.attempts, error.message, {
            retryAfterMs: error instanceof RateLimitedError ? error.retryAfterMs : undefined,
          });
          updates.push(
            decision.status === 'dead'
              ? {
                  id: delivery.id,
                  status: 'dead',
                  reason: decision.reason,
                  error: error.message,
                  errorClass: error.errorClass,
                  nextAttemptAt: null,
                  refund: false,
                  vendorReference: null,
                }
              : {
                  id: delivery.id,
                  status: 'retrying',
                  reason: null,
                  error: error.message,
                  errorClass: error.errorClass,
                  nextAttemptAt: decision.nextAttemptAt,
                  refund: decision.refundAttempt,
                  vendorReference: null,
                },
          );
          break;
        }
      }
    }
    // A delivery the connector said nothing about is retried rather than forgotten.
    for (const c of claimed) {
      if (!updates.some((u) => u.id === c.id)) {
        updates.push({
          id: c.id,
          status: 'retrying',
          reason: null,
          error: 'connector returned no outcome',
          errorClass: 'transient',
          nextAttemptAt: new Date(now + 5_000),
          refund: false,
          vendorReference: null,
        });
      }
    }
    await this.dataSource.query(
      `UPDATE delivery d SET status = u.status, reason = u.reason, last_error = u.error, last_error_class = u.error_class,
              next_attempt_at = coalesce(u.next_attempt_at, d.next_attempt_at),
              attempts = CASE WHEN u.refund THEN d.attempts - 1 ELSE d.attempts END,
              vendor_reference = coalesce(u.vendor_reference, d.vendor_reference),
              completed_at = CASE WHEN u.status IN ('succeeded','skipped','dead') THEN now() ELSE NULL END,
              updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::boolean[], $8::text[])
              AS u(id, status, reason, error, error_class, next_attempt_at, refund, vendor_reference)
        WHERE d.id = u.id`,
      [
        updates.map((u) => u.id),
        updates.map((u) => u.status),
        updates.map((u) => u.reason),
        updates.map((u) => u.error?.slice(0, 2000) ?? null),
        updates.map((u) => u.errorClass),
        updates.map((u) => u.nextAttemptAt),
        updates.map((u) => u.refund),
        updates.map((u) => u.vendorReference),
      ],
    );
    for (const u of updates) this.metrics.deliveries.inc({ connection: connectionName, outcome: u.status });
    for (const r of remotes)
      await this.connections.saveRemote(connectionId, r.subjectId, r.remoteId, r.pushed);
  }
}

function inForce(states: ConsentStateSnapshot[]): ConsentStateSnapshot[] {
  const groups = new Map<string, ConsentStateSnapshot[]>();
  for (const s of states)
    groups.set(`${s.purpose}\u0000${s.channel}`, [
      ...(groups.get(`${s.purpose}\u0000${s.channel}`) ?? []),
      s,
    ]);
  const out: ConsentStateSnapshot[] = [];
  for (const rows of groups.values()) {
    const asRows = rows.map((r) => ({
      scope: r.scope,
      status: r.status,
      capturedAt: new Date(r.capturedAt),
    }));
    for (const row of rows) {
      const effective = effectiveState(asRows, row.scope);
      const winner = effective ? rows.find((r) => r.scope === effective.scope)! : row;
      out.push({ ...winner, scope: row.scope });
    }
  }
  return out;
}
