import { Injectable, Logger } from '@nestjs/common';
import { pacerFor } from '../../platform/pacing/pacer';
import { ConnectionRepository } from './connection.repository';
import { ConnectionService } from './connection.service';
import { RecordLinks } from './record-links.service';
import { VendorForgetRequests } from './vendor-forget-requests';
import { canPollChanges } from './connector.port';
import { ConnectorFactory } from './connector.factory';
import {
  CrmContactImporter,
  tally,
  wroteEvent,
  type CrmImportKind,
  type CrmSource,
} from './crm-contact.importer';

/**
 * Records created or changed in a CRM since the last poll (Salesforce; HubSpot, whose webhooks an app may not have)
 * go through the one import path: new records are linked to their person (and get the person's current state
 * pushed), consent edits become ledger events. Changes are polled rather than streamed (Salesforce CometD replay ids
 * fail silently: jsforce #1061, #1700); the gateway's own writes are recognised by the importer, so nothing loops.
 * The cursor moves with the page's ledger writes.
 */
@Injectable()
export class ChangePollService {
  private readonly logger = new Logger(ChangePollService.name);

  constructor(
    private readonly connections: ConnectionService,
    private readonly links: RecordLinks,
    private readonly rows: ConnectionRepository,
    private readonly factory: ConnectorFactory,
    private readonly importer: CrmContactImporter,
    private readonly forgetRequests: VendorForgetRequests,
  ) {}

  async pollAll(): Promise<void> {
    for (const connection of await this.connections.list({ status: 'active' })) {
      if (connection.type === 'webhook') continue; // a processor holds no CRM records to poll
      try {
        await this.poll(connection.id);
      } catch (error) {
        this.logger.warn(
          { connectionId: connection.id, type: connection.type, err: { message: (error as Error).message } },
          'change poll failed',
        );
      }
    }
  }

  /** One poll of one connection; returns how many ledger events it recorded (0 when it cannot poll). */
  async poll(connectionId: string): Promise<number> {
    const context = await this.connections.context(connectionId);
    const pacer = pacerFor(context.rateLimit);
    const connector = this.factory.create(context, () => pacer.take());
    if (!canPollChanges(connector) || context.type === 'webhook') return 0;
    const source: CrmSource = context.type;
    // Each connection type keeps its poll cursor under its own key of sync_cursor.
    const cursor = ((await this.connections.syncCursor(connectionId))[source] as string | undefined) ?? null;
    // What the poll shows is the vendor's state when it was read.
    const receivedAt = new Date();
    const { changes, cursor: next, forgetSignals = [] } = await connector.pollChanges(cursor);
    const counts: Partial<Record<CrmImportKind, number>> = {};
    let recorded = 0;
    await this.rows.transaction(async (manager) => {
      const outcomes = await this.importer.importPage(
        manager,
        { id: connectionId, source, phoneRegion: context.phoneRegion },
        changes.map((change) => ({
          record: change,
          receivedAt,
          sourceEventId: `${connectionId}:${this.links.remoteKey(connectionId, change.remoteId)}:${change.consent?.capturedAt ?? ''}:${change.consent?.status ?? ''}`,
          method: 'crm_sync' as const,
          evidence: { connection_id: connectionId, remote_id_kind: connector.changeRecordKind },
        })),
      );
      for (const result of outcomes) {
        tally(counts, result);
        if (wroteEvent(result)) recorded++;
      }
      // Someone asked the CRM to forget a person: an erasure request, committed with the cursor.
      await this.forgetRequests.receive(
        manager,
        { id: connectionId, type: source, externalAccountId: context.externalAccountId },
        forgetSignals,
        receivedAt,
      );
      await this.connections.saveCursor(connectionId, { [source]: next }, manager);
    });
    if (changes.length) this.logger.log({ connectionId, outcomes: counts }, 'CRM changes polled');
    return recorded;
  }
}
