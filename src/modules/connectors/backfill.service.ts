import { Injectable, Logger } from '@nestjs/common';
import { RequestValidationError } from '../../platform/http/problem';
import { QueueService } from '../../platform/queue/queue.service';
import { pacerFor } from '../../platform/pacing/pacer';
import { BackfillRunRepository } from './backfill-run.repository';
import { ConnectionService } from './connection.service';
import { RecordLinks } from './record-links.service';
import { ConnectorFactory } from './connector.factory';
import type { RemoteContact } from './connector.port';
import {
  CrmContactImporter,
  tally,
  wroteEvent,
  type CrmImportKind,
  type CrmConnectionRef,
} from './crm-contact.importer';
import type { BackfillRunEntity } from './entities/backfill-run.entity';

export const BACKFILL_QUEUE = 'connections.backfill';
const PAGE_SIZE = 100;

export interface BackfillJob {
  runId: string;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

function runView(row: BackfillRunEntity) {
  return {
    id: row.id,
    connection_id: row.connectionId,
    status: row.status,
    pages: row.pages,
    contacts_seen: row.contactsSeen,
    contacts_total: row.contactsTotal,
    events_recorded: row.eventsRecorded,
    last_error: row.lastError,
    started_at: iso(row.startedAt),
    updated_at: iso(row.updatedAt),
    completed_at: iso(row.completedAt),
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
    private readonly runs: BackfillRunRepository,
    private readonly connections: ConnectionService,
    private readonly links: RecordLinks,
    private readonly factory: ConnectorFactory,
    private readonly importer: CrmContactImporter,
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
    const run = await this.runs.transaction(async (manager) => {
      const running = await this.runs.running(manager, connectionId);
      if (running) return running;
      const started = await this.runs.start(manager, connectionId);
      const db = await QueueService.dbOf(manager);
      await this.jobs.boss.send(BACKFILL_QUEUE, { runId: started.id } satisfies BackfillJob, { db });
      return started;
    });
    return runView(run);
  }

  async latest(connectionId: string) {
    const run = await this.runs.latest(connectionId);
    return run ? runView(run) : null;
  }

  /** Runs (or resumes) a backfill until the last page; called by the backfill job. */
  async run(runId: string): Promise<void> {
    const run = await this.runs.find(runId);
    if (!run || run.status !== 'running') return;
    const context = await this.connections.context(run.connectionId);
    if (context.type === 'webhook') return; // refused at start: a processor holds no contacts
    const pacer = pacerFor(context.rateLimit);
    const connector = this.factory.create(context, () => pacer.take());
    let cursor = run.cursor;
    if (run.contactsTotal === null && connector.countContacts) await this.recordTotal(run, connector);
    // The next page is fetched while this one is imported: the vendor's latency and our writes overlap.
    // The saved cursor only moves with a committed import, so a crash resumes at the right page.
    // Each page remembers when it was read: what it shows is the vendor's state at that moment, not at import.
    const fetchPage = (from: string | null) => {
      const readAt = new Date();
      const pending = connector.listContacts(from, PAGE_SIZE).then((page) => ({ ...page, readAt }));
      pending.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      return pending;
    };
    let next = fetchPage(cursor);
    try {
      for (;;) {
        const page = await next;
        if (page.next) next = fetchPage(page.next);
        const outcomes = await this.importPage(
          run,
          { id: run.connectionId, source: context.type, phoneRegion: context.phoneRegion },
          page.contacts,
          page.next,
          page.readAt,
        );
        cursor = page.next;
        this.logger.log(
          { runId, connectionId: run.connectionId, contacts: page.contacts.length, outcomes, done: !cursor },
          'backfill page imported',
        );
        if (!cursor) break;
      }
    } catch (error) {
      const message = (error as Error).message;
      // With the database away this cannot be recorded either; the job's own error is the one that counts.
      await this.runs
        .recordError(runId, message)
        .catch((recording: Error) =>
          this.logger.warn({ runId, err: { message: recording.message } }, 'backfill: error not recorded'),
        );
      // The job is retried from the saved cursor; a run that keeps failing ends failed (see onFailed).
      throw error;
    }
  }

  /** The vendor's count, for the progress bar; a count that fails only leaves the bar without a share. */
  private async recordTotal(run: BackfillRunEntity, connector: { countContacts?(): Promise<number | null> }) {
    try {
      const total = await connector.countContacts!();
      if (total !== null) await this.runs.recordTotal(run.id, total);
    } catch (error) {
      this.logger.warn({ runId: run.id, err: error }, 'backfill: the vendor did not count the contacts');
    }
  }

  async markFailed(runId: string, message: string): Promise<void> {
    await this.runs.markFailed(runId, message);
  }

  /** One page in one transaction with the cursor after it; returns the page's outcomes, counted. */
  private async importPage(
    run: BackfillRunEntity,
    connection: CrmConnectionRef,
    contacts: RemoteContact[],
    next: string | null,
    receivedAt: Date,
  ): Promise<Partial<Record<CrmImportKind, number>>> {
    const connectionId = run.connectionId;
    return this.runs.transaction(async (manager) => {
      const counts: Partial<Record<CrmImportKind, number>> = {};
      let recorded = 0;
      const outcomes = await this.importer.importPage(
        manager,
        connection,
        contacts.map((contact) => ({
          record: contact,
          receivedAt,
          sourceEventId: `backfill:${connectionId}:${this.links.remoteKey(connectionId, contact.remoteId)}:${contact.consent?.capturedAt ?? ''}`,
          method: 'import' as const,
          evidence: { connection_id: connectionId, backfill_run_id: run.id },
        })),
      );
      for (const result of outcomes) {
        tally(counts, result);
        if (wroteEvent(result)) recorded++;
      }
      await this.runs.pageImported(manager, run.id, { next, contacts: contacts.length, recorded });
      return counts;
    });
  }
}
