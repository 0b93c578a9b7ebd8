import { Injectable, Logger } from '@nestjs/common';
import { pacerFor } from '../../platform/pacing/pacer';
import { ConnectionRepository } from './connection.repository';
import { ConnectionService } from './connection.service';
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
 * Consent edits made in a CRM that offers a change poll (Salesforce) become ledger events. Changes are polled
 * rather than streamed (Salesforce CometD replay ids fail silently: jsforce #1061, #1700); the gateway's own
 * writes are recognised by the importer, so nothing loops. The cursor moves with the page's ledger writes.
 */
@Injectable()
export class ChangePollService {
  private readonly logger = new Logger(ChangePollService.name);

  constructor(
    private readonly connections: ConnectionService,
    private readonly rows: ConnectionRepository,
    private readonly factory: ConnectorFactory,
    private readonly importer: CrmContactImporter,
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
    const { changes, cursor: next } = await connector.pollChanges(cursor);
    const receivedAt = new Date();
    const counts: Partial<Record<CrmImportKind, number>> = {};
    let recorded = 0;
    await this.rows.transaction(async (manager) => {
      for (const change of changes) {
        if (!change.consent) continue; // a poll reports consent edits; one without a value is not a change
        const result = await this.importer.import(manager, {
          connectionId,
          source,
          remoteId: change.remoteId,
          phone: change.phone,
          email: change.email,
          consent: change.consent,
          receivedAt,
          sourceEventId: `${connectionId}:${this.connections.remoteKey(connectionId, change.remoteId)}:${change.consent.capturedAt}:${change.consent.status}`,
          method: 'crm_sync',
          evidence: { connection_id: connectionId, remote_id_kind: connector.changeRecordKind },
        });
        tally(counts, result);
        if (wroteEvent(result)) recorded++;
      }
      await this.connections.saveCursor(connectionId, { [source]: next }, manager);
    });
    if (changes.length) this.logger.log({ connectionId, outcomes: counts }, 'CRM consent changes polled');
    return recorded;
  }
}
