import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InboxService, type InboxHandler, type StoredInboxDelivery } from '../../inbox';
import { SubjectRequestIntake } from '../../ledger';
import { ConnectionRepository } from '../connection.repository';
import { CrmContactImporter } from '../crm-contact.importer';
import { RecordLinks } from '../record-links.service';
import { HUBSPOT_PROPERTIES } from './hubspot.constants';
import { HUBSPOT_RECORD_TYPE } from './hubspot.mapper';
import { parseHubspotEvents } from './hubspot-webhook';
import type { HubspotWebhookEvent } from './hubspot.types';

/**
 * HubSpot webhook events to ledger events: a change of the WhatsApp consent property made in HubSpot
 * becomes an event with source hubspot, through the one CRM import path. The gateway's own writes come back
 * as webhooks too; they are recognised (the value equals what the gateway last pushed for that record) and
 * counted as own_write, so nothing loops.
 *
 * A `contact.privacyDeletion` (someone GDPR-deleted the contact in HubSpot) is a request to erase the person
 * everywhere else: it goes to the requests module through SubjectRequestIntake, in this transaction, so it commits
 * with the inbox row. `contact.deletion` alone (an archive, or the second event of the same GDPR delete) is not an
 * erasure request: it is only counted.
 */
@Injectable()
export class HubspotInboxHandler implements InboxHandler, OnModuleInit {
  private readonly logger = new Logger(HubspotInboxHandler.name);

  constructor(
    private readonly inbox: InboxService,
    private readonly connections: ConnectionRepository,
    private readonly importer: CrmContactImporter,
    private readonly links: RecordLinks,
    // Declared by the ledger, provided by the requests module: the request commits with the inbox row.
    private readonly intake: SubjectRequestIntake,
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
        connectionsByPortal.set(portal, await this.connections.hubspotByPortal(manager, portal));
      }
      const connectionId = connectionsByPortal.get(portal) ?? null;
      if (!connectionId) {
        count('unknown_portal');
        continue;
      }
      if (event.subscriptionType === 'contact.privacyDeletion') {
        count(await this.receivePrivacyDeletion(manager, delivery, connectionId, event));
        continue;
      }
      if (event.subscriptionType === 'contact.deletion') {
        // HubSpot fires it with every privacyDeletion too: the request comes from the privacyDeletion alone.
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
      const [result] = await this.importer.importPage(
        manager,
        { id: connectionId, source: 'hubspot', phoneRegion: null },
        [
          {
            // The event names the record and its new value only: its phones and email stay as last seen.
            record: {
              remoteId,
              recordType: 'contact',
              phones: [],
              email: null,
              region: null,
              observedAt: event.occurredAt,
              consent: { status, capturedAt: event.occurredAt, scope: null, ownWriteEventId: null },
              unreadable: [],
            },
            partial: true,
            // A contact the gateway has not met: known by its HubSpot id until a backfill, poll or push links it.
            fallbackIdentity: { kind: 'hubspot_id', value: `${portal}:${remoteId}` },
            lastPushedValue: { key: HUBSPOT_PROPERTIES.consent, value: event.propertyValue },
            receivedAt: delivery.receivedAt,
            sourceEventId: `${portal}:${event.eventId}`,
            method: 'crm_sync',
            evidence: {
              connection_id: connectionId,
              hubspot_event_id: String(event.eventId),
              change_source: event.changeSource ?? null,
              property: event.propertyName ?? null,
            },
            inbox: { id: delivery.id, digest: delivery.digest },
          },
        ],
      );
      // Summary keys as before: the status for a new event, 'duplicate' for one already recorded.
      const key =
        result.outcome === 'recorded' || result.outcome === 'stale'
          ? result.status
          : result.outcome === 'unchanged'
            ? 'duplicate'
            : result.outcome;
      count(key);
    }
    if (summary.unknown_portal)
      this.logger.warn({ inboxId: delivery.id }, 'HubSpot events for a portal with no connection');
    return summary;
  }

  /**
   * An erasure request for the person the deleted contact stood for (its link at this connection). A contact the
   * gateway never linked is still received, matching nobody (the requests module records that answer). The
   * dedupe key is HubSpot's event id: a redelivery or an inbox replay is the same request.
   */
  private async receivePrivacyDeletion(
    manager: EntityManager,
    delivery: StoredInboxDelivery,
    connectionId: string,
    event: HubspotWebhookEvent,
  ): Promise<'privacy_deletion' | 'privacy_deletion_unmatched'> {
    const known = await this.links.known(connectionId, [event.objectId], manager);
    const subjectId = known.get(event.objectId)?.subjectId ?? null;
    await this.intake.receive(manager, {
      type: 'erasure',
      origin: 'hubspot_privacy_deletion',
      dedupeKey: `hubspot:${event.portalId}:${event.eventId}`,
      subjectId,
      identities: [],
      receivedAt: delivery.receivedAt,
      originConnectionId: connectionId,
      // Non-personal facts only: the contact id is an identifier and stays out.
      originEvidence: {
        inbox_id: delivery.id,
        hubspot_event_id: event.eventId,
        hubspot_portal_id: String(event.portalId),
        record_type: HUBSPOT_RECORD_TYPE,
        occurred_at: event.occurredAt,
        record_linked: subjectId !== null,
      },
    });
    return subjectId ? 'privacy_deletion' : 'privacy_deletion_unmatched';
  }
}
