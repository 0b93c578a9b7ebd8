import { Injectable, Logger } from '@nestjs/common';
import { LedgerRewriteRepository, type RewritableEvent } from './ledger-rewrite.repository';

/** What an event becomes: its new idempotency key and clear evidence. */
export interface EventRewrite {
  sourceEventId: string;
  evidence: Record<string, unknown>;
}

/**
 * Decides one event's rewrite; null when it needs none. Must answer null for what it produced itself, so a run
 * interrupted half-way, or run twice, changes nothing more.
 */
export type EventRewriter = (event: Readonly<Omit<RewritableEvent, 'id'>>) => EventRewrite | null;

export interface RewriteReport {
  scanned: number;
  rewritten: number;
}

const BATCH = 500;

/**
 * Rewrites existing events of one source with code that holds a key the database does not (blind indexes): the
 * data half of a migration that asked for it by name (ledger_rewrite). Runs a batch per transaction, so a large
 * ledger is never locked at once; idempotent.
 */
@Injectable()
export class LedgerRewrites {
  private readonly logger = new Logger(LedgerRewrites.name);

  constructor(private readonly repo: LedgerRewriteRepository) {}

  /** True while a migration's rewrite has not completed yet. */
  isPending(name: string): Promise<boolean> {
    return this.repo.isPending(name);
  }

  async run(name: string, source: string, rewriter: EventRewriter): Promise<RewriteReport> {
    const report: RewriteReport = { scanned: 0, rewritten: 0 };
    let after: string | null = null;
    for (;;) {
      const page = await this.repo.transaction(async (manager) => {
        const events = await this.repo.page(manager, source, after, BATCH);
        const changes: RewritableEvent[] = [];
        for (const event of events) {
          const rewrite = rewriter(event);
          if (rewrite) changes.push({ id: event.id, ...rewrite });
        }
        // The same source event recorded again under its new key meanwhile (a replay after the upgrade): the old
        // row keeps a key of its own, still without the identifier.
        const taken = await this.repo.takenAmong(
          manager,
          source,
          changes.map((c) => c.sourceEventId),
        );
        for (const change of changes)
          if (taken.has(change.sourceEventId)) change.sourceEventId = `${change.sourceEventId}:${change.id}`;
        await this.repo.rewrite(manager, changes);
        return { size: events.length, last: events.at(-1)?.id ?? null, rewritten: changes.length };
      });
      report.scanned += page.size;
      report.rewritten += page.rewritten;
      if (page.size < BATCH || page.last === null) break;
      after = page.last;
    }
    await this.repo.complete(name, report.rewritten);
    this.logger.log({ rewrite: name, source, ...report }, 'ledger events rewritten');
    return report;
  }
}
