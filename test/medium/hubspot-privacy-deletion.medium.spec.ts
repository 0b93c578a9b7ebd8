import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConnectionRepository } from '../../src/modules/connectors/connection.repository';
import { ConnectionService } from '../../src/modules/connectors/connection.service';
import { CrmContactImporter } from '../../src/modules/connectors/crm-contact.importer';
import { HubspotInboxHandler } from '../../src/modules/connectors/hubspot/hubspot-inbox.handler';
import { RecordLinks } from '../../src/modules/connectors/record-links.service';
import { InboxService, type StoredInboxDelivery } from '../../src/modules/inbox';
import { LedgerService } from '../../src/modules/ledger/ledger.service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestContext } from '../support/app';
import { RecordingIntake } from '../support/recording-intake';

/**
 * HubSpot `contact.privacyDeletion` webhooks become erasure requests (SubjectRequestIntake: a recording fake given to
 * the handler's constructor, and the requests module's own intake end to end); `contact.deletion` alone does not.
 * Real PostgreSQL for the connection and its record links.
 */

const PORTAL = 1_000_001;

describe(HubspotInboxHandler.name, () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let handler: HubspotInboxHandler;
  let ledger: LedgerService;
  let links: RecordLinks;
  let intake: RecordingIntake;
  let connectionId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    intake = new RecordingIntake();
    ctx = await startTestContext(db.url);
    // The handler as the module builds it, with the fake intake (not registered with the inbox: no worker runs).
    handler = new HubspotInboxHandler(
      ctx.get(InboxService),
      ctx.get(ConnectionRepository),
      ctx.get(CrmContactImporter),
      ctx.get(RecordLinks),
      intake,
    );
    ledger = ctx.get(LedgerService);
    links = ctx.get(RecordLinks);
    const connection = await ctx.get(ConnectionService).create({
      type: 'hubspot',
      name: 'HubSpot (privacy deletion spec)',
      credentials: { accessToken: 'pat-na1-test' },
      externalAccountId: String(PORTAL),
    });
    connectionId = connection.id;
  });

  beforeEach(() => {
    intake.received.length = 0;
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  let eventId = 5_000;
  function event(subscriptionType: string, objectId: number, portalId = PORTAL) {
    return {
      eventId: ++eventId,
      subscriptionId: 1,
      portalId,
      appId: 5_000_001,
      occurredAt: Date.now() - 1000,
      subscriptionType,
      attemptNumber: 0,
      objectId,
    };
  }

  const receivedAt = new Date('2026-12-06T08:00:00.000Z');
  function handle(events: unknown[], through = handler): Promise<Record<string, number>> {
    const delivery: StoredInboxDelivery = {
      id: randomUUID(),
      provider: 'hubspot',
      deliveryId: randomUUID(),
      receivedAt,
      rawBody: Buffer.from(JSON.stringify(events)),
      digest: 'digest',
    };
    return ledger.transaction((m) => through.handle(m, delivery));
  }

  /** A person linked to HubSpot contact `contactId` at the connection. */
  async function linkedPerson(contactId: number): Promise<string> {
    return ledger.transaction(async (m) => {
      const subjectId = await ledger.resolveSubject(m, [
        { kind: 'phone', value: `+491511${String(contactId).padStart(7, '0')}` },
      ]);
      await links.link(m, connectionId, [
        { subjectId, remoteId: String(contactId), recordType: 'contact', pushed: null },
      ]);
      return subjectId;
    });
  }

  it('receives an erasure request for the person a privacy-deleted contact was linked to', async () => {
    const subjectId = await linkedPerson(101);
    const deletion = event('contact.privacyDeletion', 101);
    const summary = await handle([deletion]);
    expect(summary).toMatchObject({ privacy_deletion: 1 });
    expect(intake.received).toEqual([
      {
        type: 'erasure',
        origin: 'hubspot_privacy_deletion',
        dedupeKey: `hubspot:${PORTAL}:${deletion.eventId}`,
        subjectId,
        identities: [],
        receivedAt,
        originConnectionId: connectionId,
        originEvidence: expect.objectContaining({
          hubspot_event_id: String(deletion.eventId),
          record_type: 'contact',
          record_linked: true,
        }) as unknown,
      },
    ]);
  });

  it('keeps the contact id out of the request evidence', async () => {
    await linkedPerson(987_654);
    await handle([event('contact.privacyDeletion', 987_654)]);
    expect(JSON.stringify(intake.received[0].originEvidence)).not.toContain('987654');
  });

  it('still receives the request for a contact the gateway never linked, naming nobody', async () => {
    const summary = await handle([event('contact.privacyDeletion', 202)]);
    expect(summary).toMatchObject({ privacy_deletion_unmatched: 1 });
    expect(intake.received).toHaveLength(1);
    expect(intake.received[0]).toMatchObject({
      subjectId: null,
      identities: [],
      originConnectionId: connectionId,
    });
  });

  it('makes one request of a GDPR delete, which HubSpot announces with privacyDeletion and deletion', async () => {
    await linkedPerson(303);
    const summary = await handle([event('contact.privacyDeletion', 303), event('contact.deletion', 303)]);
    expect(intake.received).toHaveLength(1);
    expect(summary).toMatchObject({ privacy_deletion: 1, deletion: 1 });
  });

  it('does not make an erasure request of a contact.deletion alone (an archive), only counts it', async () => {
    await linkedPerson(404);
    const summary = await handle([event('contact.deletion', 404)]);
    expect(intake.received).toHaveLength(0);
    expect(summary).toMatchObject({ deletion: 1 });
  });

  it('receives nothing for a portal no connection stands for', async () => {
    const summary = await handle([event('contact.privacyDeletion', 505, 9_999_999)]);
    expect(intake.received).toHaveLength(0);
    expect(summary).toMatchObject({ unknown_portal: 1 });
  });
  it('creates an erasure request through the requests module, verified by its origin, once per HubSpot event', async () => {
    const subjectId = await linkedPerson(606);
    const deletion = event('contact.privacyDeletion', 606);
    await handle([deletion], ctx.get(HubspotInboxHandler));
    await handle([deletion], ctx.get(HubspotInboxHandler));
    const rows = await ctx
      .get(DataSource)
      .query<{ type: string; origin: string; subject_id: string }[]>(
        `SELECT type, origin, subject_id FROM data_subject_request WHERE subject_id = $1`,
        [subjectId],
      );
    expect(rows).toEqual([{ type: 'erasure', origin: 'hubspot_privacy_deletion', subject_id: subjectId }]);
  });
});
