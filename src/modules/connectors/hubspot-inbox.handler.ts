import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InboxService, type InboxHandler, type StoredInboxDelivery } from '../inbox/inbox.service';
import { LedgerService } from '../ledger/ledger.service';
import { ConnectionService } from './connection.service';
import { HUBSPOT_PROPERTIES, parseHubspotEvents } from './hubspot';

/**
 * HubSpot webhook events to ledger events: a change of the WhatsApp consent property made in HubSpot
 * becomes an event with source hubspot. The gateway's own writes come back as webhooks too; they are
 * recognised (the value equals what the gateway last pushed for that record) and dropped, so nothing loops.
 */
@Injectable()
export class HubspotInboxHandler implements InboxHandler, OnModuleInit {
  private readonly logger = new Logger(HubspotInboxHandler.name);

  constructor(
    private readonly inbox: InboxService,
    private readonly ledger: LedgerService,
    private readonly connections: ConnectionService,
  ) {}

  onModuleInit(): void {
    this.inbox.register('hubspot', this);
  }

  async handle(manager: EntityManager, delivery: StoredInboxDelivery): Promise<Record<string, number>> {
    let body: unknown;
    try {
      body = JSON.parse(delivery.rawBody.toString('utf8'));
    } catch {
      return { events: 0, unparseable: 1 };
    }
    const events = parseHubspotEvents(body);
    const summary: Record<string, number> = { events: events.length };
    const count = (key: string) => (summary[key] = (summary[key] ?? 0) + 1);
    const connectionsByPortal = new Map<string, string | null>();
    for (const event of events) {
      const portal = String(event.portalId);
      if (!connectionsByPortal.has(portal)) {
        const rows: { id: string }[] = await manager.query(
          `SELECT id FROM connection WHERE type = 'hubspot' AND external_account_id = $1 AND status <> 'disconnected'
            ORDER BY created_at LIMIT 1`,
          [portal],
        );
        connectionsByPortal.set(portal, rows[0]?.id ?? null);
      }
      const connectionId = connectionsByPortal.get(portal) ?? null;
      if (!connectionId) {
        count('unknown_portal');
        continue;
      }
      if (
        event.subscriptionType === 'contact.privacyDeletion' ||
        event.subscriptionType === 'contact.deletion'
      ) {
        // HubSpot fires both for one GDPR delete; the erasure workflow reads them from the inbox summary.
        count('deletion');
        continue;
      }
      if (
        event.subscriptionType !== 'contact.propertyChange' ||
        event.propertyName !== HUBSPOT_PROPERTIES.consent
      ) {
        count('ignored');
        continue;
      }
      const status =
        event.propertyValue === 'OPTED_OUT'
          ? 'withdrawn'
          : event.propertyValue === 'OPTED_IN'
            ? 'granted'
            : null;
      if (!status) {
        count('ignored');
        continue;
      }
      const remoteId = String(event.objectId);
      let subjectId = await this.connections.subjectForRemote(connectionId, remoteId, manager);
      if (subjectId) {
        const pushed = await this.connections.lastPushed(connectionId, subjectId, manager);
        if (pushed && pushed[HUBSPOT_PROPERTIES.consent] === event.propertyValue) {
          count('own_write');
          continue;
        }
      } else {
        // A contact the gateway has not met: known by its HubSpot id until a backfill or push links it.
        subjectId = await this.ledger.resolveSubject(manager, [
          { kind: 'hubspot_id', value: `${portal}:${remoteId}` },
        ]);
        await this.connections.saveRemote(connectionId, subjectId, remoteId, null, manager);
      }
      const result = await this.ledger.recordConsent(manager, {
        source: 'hubspot',
        sourceEventId: `${portal}:${event.eventId}`,
        subjectId,
        purpose: 'marketing',
        channel: 'whatsapp',
        scope: null,
        status,
        method: 'crm_sync',
        actor: 'crm',
        capturedAt: new Date(event.occurredAt),
        receivedAt: delivery.receivedAt,
        legalBasis: 'consent',
        payloadDigest: delivery.digest,
        inboxId: delivery.id,
        evidence: {
          connection_id: connectionId,
          hubspot_event_id: String(event.eventId),
          change_source: event.changeSource ?? null,
          property: event.propertyName ?? null,
        },
        originConnectionId: connectionId,
      });
      count(result.duplicate ? 'duplicate' : status);
    }
    if (summary.unknown_portal)
      this.logger.warn({ inboxId: delivery.id }, 'HubSpot events for a portal with no connection');
    return summary;
  }
}
