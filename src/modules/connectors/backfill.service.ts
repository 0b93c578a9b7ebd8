import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RequestValidationError } from '../../platform/http/problem';
import { QueueService } from '../../platform/queue/queue.service';
import { LedgerService } from '../ledger/ledger.service';
import type { IdentityInput } from '../ledger/ledger.types';
import { ConnectionService } from './connection.service';
import { ConnectorFactory } from './connector.factory';
import type { RemoteContact } from './connector.port';
import { pacerFor } from '../../platform/pacing/pacer';

export const BACKFILL_QUEUE = 'connections.backfill';
const PAGE_SIZE = 100;

export interface BackfillJob {
  runId: string;
}

interface RunRow {
  id: string;
  connection_id: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  cursor: string | null;
  pages: number;
  contacts_seen: number;
  events_recorded: number;
  last_error: string | null;
  started_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function runView(row: RunRow) {
  return {
    id: row.id,
    connection_id: row.connection_id,
    status: row.status,
    pages: row.pages,
    contacts_seen: row.contacts_seen,
    events_recorded: row.events_recorded,
    last_error: row.last_error,
    started_at: iso(row.started_at),
    updated_at: iso(row.updated_at),
    completed_at: iso(row.completed_at),
  };
}

/**
 * Imports the consent state of every contact a CRM already holds: paged, paced to the vendor's limit, and
 * resumable, since each page's ledger writes and the cursor after it commit together.
 */
@Injectable()
export class BackfillService {
  private readonly logger = new Logger(BackfillService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly factory: ConnectorFactory,
    private readonly ledger: LedgerService,
    private readonly jobs: QueueService,
  ) {}

  /** Starts a run, or returns the one already running for this connection. */
  async start(connectionId: string) {
    const context = await this.connections.context(connectionId);
    if (context.type === 'webhook') {
      throw new RequestValidationError('A webhook processor has no contacts to import.', [
        { field: 'id', message: 'connection type webhook cannot be backfilled' },
      ]);
    }
    const run = await this.dataSource.transaction(async (manager) => {
      const running: RunRow[] = await manager.query(
        `SELECT * FROM backfill_run WHERE connection_id = $1 AND status = 'running'`,
        [connectionId],
      );
      if (running[0]) return running[0];
      const rows: RunRow[] = await manager.query(
        `INSERT INTO backfill_run (connection_id) VALUES ($1) RETURNING *`,
        [connectionId],
      );
      const db = await QueueService.dbOf(manager);
      await this.jobs.boss.send(BACKFILL_QUEUE, { runId: rows[0].id } satisfies BackfillJob, {
        db,
      });
      return rows[0];
    });
    return runView(run);
  }

  async latest(connectionId: string) {
    const rows: RunRow[] = await this.dataSource.query(
      `SELECT * FROM backfill_run WHERE connection_id = $1 ORDER BY started_at DESC LIMIT 1`,
      [connectionId],
    );
    return rows[0] ? runView(rows[0]) : null;
  }

  /** Runs (or resumes) a backfill until the last page; called by the backfill job. */
  async run(runId: string): Promise<void> {
    const rows: RunRow[] = await this.dataSource.query(`SELECT * FROM backfill_run WHERE id = $1`, [runId]);
    const run = rows[0];
    if (!run || run.status !== 'running') return;
    const context = await this.connections.context(run.connection_id);
    const pacer = pacerFor(context.rateLimit);
    const connector = this.factory.create(context, () => pacer.take());
    let cursor = run.cursor;
    // The next page is fetched while this one is imported: the vendor's latency and our writes overlap.
    // The saved cursor only moves with a committed import, so a crash resumes at the right page.
    const fetchPage = (from: string | null) => {
      const pending = connector.listContacts(from, PAGE_SIZE);
      pending.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      return pending;
    };
    let next = fetchPage(cursor);
    try {
      for (;;) {
        const page = await next;
        if (page.next) next = fetchPage(page.next);
        const recorded = await this.importPage(run, context.type, page.contacts, page.next);
        cursor = page.next;
        this.logger.log(
          {
            runId,
            connectionId: run.connection_id,
            contacts: page.contacts.length,
            events: recorded,
            done: !cursor,
          },
          'backfill page imported',
        );
        if (!cursor) break;
      }
    } catch (error) {
      const message = (error as Error).message;
      await this.dataSource.query(
        `UPDATE backfill_run SET last_error = $2, updated_at = now() WHERE id = $1`,
        [runId, message.slice(0, 1000)],
      );
      // The job is retried from the saved cursor; a run that keeps failing ends failed (see onFailed).
      throw error;
    }
  }

  async markFailed(runId: string, message: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE backfill_run SET status = 'failed', last_error = $2, updated_at = now(), completed_at = now() WHERE id = $1 AND status = 'running'`,
      [runId, message.slice(0, 1000)],
    );
  }

  private async importPage(
    run: RunRow,
    source: 'hubspot' | 'salesforce' | 'webhook',
    contacts: RemoteContact[],
    next: string | null,
  ) {
    const receivedAt = new Date();
    return this.dataSource.transaction(async (manager) => {
      let recorded = 0;
      for (const contact of contacts) {
        const identities: IdentityInput[] = [];
        if (contact.phone) identities.push({ kind: 'phone', value: contact.phone });
        if (contact.email) identities.push({ kind: 'email', value: contact.email });
        const usable = identities.filter((i) => i.kind !== 'phone' || /^\+?\d{6,}/.test(i.value));
        if (usable.length === 0) continue;
        let subjectId: string;
        try {
          subjectId = await this.ledger.resolveSubject(manager, usable);
        } catch {
          continue; // no identifier the ledger can normalise (a malformed phone in the CRM)
        }
        await this.connections.saveRemote(run.connection_id, subjectId, contact.remoteId, null, manager);
        // The gateway's own earlier writes are already in the ledger.
        if (!contact.consent || contact.consent.ownWriteEventId || source === 'webhook') continue;
        const result = await this.ledger.recordConsent(manager, {
          source,
          sourceEventId: `backfill:${run.connection_id}:${this.connections.remoteKey(run.connection_id, contact.remoteId)}:${contact.consent.capturedAt}`,
          subjectId,
          purpose: 'marketing',
          channel: 'whatsapp',
          scope: contact.consent.scope,
          status: contact.consent.status,
          method: 'import',
          actor: 'crm',
          capturedAt: new Date(contact.consent.capturedAt),
          receivedAt,
          legalBasis: 'consent',
          evidence: { connection_id: run.connection_id, backfill_run_id: run.id },
          originConnectionId: run.connection_id,
        });
        if (!result.duplicate) recorded++;
      }
      await manager.query(
        `UPDATE backfill_run SET cursor = $2, pages = pages + 1, contacts_seen = contacts_seen + $3,
                events_recorded = events_recorded + $4, updated_at = now(),
                status = CASE WHEN $2::text IS NULL THEN 'completed' ELSE status END,
                completed_at = CASE WHEN $2::text IS NULL THEN now() ELSE NULL END
          WHERE id = $1`,
        [run.id, next, contacts.length, recorded],
      );
      return recorded;
    });
  }
}
