import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { LedgerService } from '../ledger/ledger.service';
import type { IdentityInput } from '../ledger/ledger.types';
import { pacerFor } from '../../platform/pacing/pacer';
import { ConnectionService } from './connection.service';
import { ConnectorFactory } from './connector.factory';
import { SalesforceConnector } from './salesforce';

/**
 * Consent edits made in Salesforce become ledger events (source salesforce). Changes are polled by
 * SystemModstamp rather than streamed (CometD replay ids fail silently: jsforce #1061, #1700); the gateway's
 * own writes carry its event id in CaptureSource and are skipped, so nothing loops.
 */
@Injectable()
export class SalesforceSyncService {
  private readonly logger = new Logger(SalesforceSyncService.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly connections: ConnectionService,
    private readonly factory: ConnectorFactory,
    private readonly ledger: LedgerService,
  ) {}

  async pollAll(): Promise<void> {
    for (const connection of await this.connections.list({ type: 'salesforce', status: 'active' })) {
      try {
        await this.poll(connection.id);
      } catch (error) {
        this.logger.warn(
          { connectionId: connection.id, err: { message: (error as Error).message } },
          'Salesforce poll failed',
        );
      }
    }
  }

  /**
   * A record still carrying the gateway's event id in CaptureSource is its own write coming back, unless a
   * CRM user has since changed the status and left CaptureSource as it was.
   */
  private async isEcho(manager: EntityManager, eventId: string, status: string): Promise<boolean> {
    const rows: { status: string }[] = await manager.query(
      `SELECT status FROM consent_event WHERE id::text = $1`,
      [eventId],
    );
    return rows[0]?.status === status;
  }

  /** One poll of one connection; returns how many ledger events it recorded. */
  async poll(connectionId: string): Promise<number> {
    const context = await this.connections.context(connectionId);
    const pacer = pacerFor(context.rateLimit);
    const connector = this.factory.create(context, () => pacer.take());
    if (!(connector instanceof SalesforceConnector)) return 0;
    const cursor =
      ((await this.connections.syncCursor(connectionId)).salesforce as string | undefined) ?? null;
    const { changes, cursor: next } = await connector.pollChanges(cursor);
    const receivedAt = new Date();
    let recorded = 0;
    await this.dataSource.transaction(async (manager) => {
      for (const change of changes) {
        if (!change.consent) continue;
        if (
          change.consent.ownWriteEventId &&
          (await this.isEcho(manager, change.consent.ownWriteEventId, change.consent.status))
        ) {
          continue;
        }
        const identities: IdentityInput[] = [];
        if (change.phone) identities.push({ kind: 'phone', value: change.phone });
        if (change.email) identities.push({ kind: 'email', value: change.email });
        let subjectId = await this.connections.subjectForRemote(connectionId, change.remoteId, manager);
        if (!subjectId) {
          if (identities.length === 0) continue;
          try {
            subjectId = await this.ledger.resolveSubject(manager, identities);
          } catch {
            continue;
          }
          await this.connections.saveRemote(connectionId, subjectId, change.remoteId, null, manager);
        }
        const result = await this.ledger.recordConsent(manager, {
          source: 'salesforce',
          sourceEventId: `${connectionId}:${this.connections.remoteKey(connectionId, change.remoteId)}:${change.consent.capturedAt}:${change.consent.status}`,
          subjectId,
          purpose: 'marketing',
          channel: 'whatsapp',
          scope: change.consent.scope,
          status: change.consent.status,
          method: 'crm_sync',
          actor: 'crm',
          capturedAt: new Date(change.consent.capturedAt),
          receivedAt,
          legalBasis: 'consent',
          evidence: { connection_id: connectionId, remote_id_kind: 'salesforce_individual' },
          originConnectionId: connectionId,
        });
        if (!result.duplicate) recorded++;
      }
      await this.connections.saveCursor(connectionId, { salesforce: next }, manager);
    });
    if (recorded) this.logger.log({ connectionId, recorded }, 'Salesforce consent changes recorded');
    return recorded;
  }
}
