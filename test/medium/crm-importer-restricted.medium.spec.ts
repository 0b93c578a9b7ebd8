import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import type { RemoteContact } from '../../src/modules/connectors/connector.port';
import { ConnectionService } from '../../src/modules/connectors/connection.service';
import { CrmContactImporter, type CrmConnectionRef } from '../../src/modules/connectors/crm-contact.importer';
import { RecordLinks } from '../../src/modules/connectors/record-links.service';
import { SubjectRestrictionService } from '../../src/modules/ledger';
import { LedgerService } from '../../src/modules/ledger/ledger.service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestContext } from '../support/app';

/**
 * A restriction (Art. 18) shows as an opt-out on every CRM record of the person (HubSpot: the consent property is
 * set OPTED_OUT while restricted). That value coming back through a webhook or a poll is the gateway's own write,
 * not the person withdrawing. Real PostgreSQL, the real ledger.
 */
describe(`${CrmContactImporter.name} (restricted people)`, () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let importer: CrmContactImporter;
  let ledger: LedgerService;
  let restriction: SubjectRestrictionService;
  let connection: CrmConnectionRef;
  let behind: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = await startTestContext(db.url);
    importer = ctx.get(CrmContactImporter);
    ledger = ctx.get(LedgerService);
    restriction = ctx.get(SubjectRestrictionService);
    const created = await ctx.get(ConnectionService).create({
      type: 'hubspot',
      name: 'HubSpot (restriction echo spec)',
      credentials: { accessToken: 'pat-na1-test' },
    });
    connection = { id: created.id, source: 'hubspot', phoneRegion: 'DE' };
    ctx.get(RecordLinks).onRecordsBehind(async (_m, _c, subjectIds) => void behind.push(...subjectIds));
  });

  beforeEach(() => {
    behind = [];
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  const optOut = (remoteId: string, phone: string): RemoteContact => ({
    remoteId,
    recordType: 'contact',
    phones: [{ field: 'phone', value: phone }],
    email: null,
    region: null,
    observedAt: new Date(Date.now() - 1000).toISOString(),
    consent: {
      status: 'withdrawn',
      capturedAt: new Date(Date.now() - 1000).toISOString(),
      scope: null,
      ownWriteEventId: null,
    },
    unreadable: [],
  });
  const importOne = (record: RemoteContact) =>
    ledger.transaction(async (m) => {
      const [outcome] = await importer.importPage(m, connection, [
        {
          record,
          receivedAt: new Date(),
          sourceEventId: `spec:${randomUUID()}`,
          method: 'crm_sync',
          evidence: { spec: true },
        },
      ]);
      return outcome;
    });

  /** A person linked to one record, restricted (or not). */
  async function person(
    phone: string,
    restricted: boolean,
  ): Promise<{ subjectId: string; remoteId: string }> {
    const remoteId = `r-${randomUUID().slice(0, 8)}`;
    const outcome = await importOne({ ...optOut(remoteId, phone), consent: null });
    const subjectId = 'subjectId' in outcome ? outcome.subjectId : '';
    if (restricted) await ledger.transaction((m) => restriction.setRestricted(m, subjectId, true));
    return { subjectId, remoteId };
  }

  it('counts an opt-out on a restricted person’s record as the gateway’s own write and records nothing', async () => {
    const { subjectId, remoteId } = await person('+49 1512 0000001', true);
    expect(await importOne(optOut(remoteId, '+49 1512 0000001'))).toEqual({
      outcome: 'own_write',
      subjectId,
    });
  });

  it('records an opt-out on the record of a person who is not restricted', async () => {
    const { remoteId } = await person('+49 1512 0000002', false);
    expect(await importOne(optOut(remoteId, '+49 1512 0000002'))).toMatchObject({
      outcome: 'recorded',
      status: 'withdrawn',
    });
  });
  /** The person's record as HubSpot shows it under a restriction (the mapper reads no consent from the marker). */
  const marked = (remoteId: string, phone: string): RemoteContact => ({
    ...optOut(remoteId, phone),
    consent: null,
  });

  async function granted(phone: string, restricted: boolean) {
    const remoteId = `r-${randomUUID().slice(0, 8)}`;
    const outcome = await importOne({
      ...optOut(remoteId, phone),
      consent: { ...optOut(remoteId, phone).consent!, status: 'granted' },
    });
    const subjectId = 'subjectId' in outcome ? outcome.subjectId : '';
    if (restricted) await ledger.transaction((m) => restriction.setRestricted(m, subjectId, true));
    return { subjectId, remoteId };
  }

  it('does not flag a restricted person’s record as behind while it shows the restriction', async () => {
    const { remoteId } = await granted('+49 1512 0000003', true);
    behind = [];
    await importOne(marked(remoteId, '+49 1512 0000003'));
    expect(behind).toEqual([]);
  });

  it('flags the record as behind once the restriction is lifted, so the person’s state is pushed again', async () => {
    const { subjectId, remoteId } = await granted('+49 1512 0000004', true);
    await ledger.transaction((m) => restriction.setRestricted(m, subjectId, false));
    behind = [];
    await importOne(marked(remoteId, '+49 1512 0000004'));
    expect(behind).toEqual([subjectId]);
  });
});
