import { randomUUID } from 'node:crypto';
import type { INestApplicationContext } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RemoteContact } from '../../src/modules/connectors/connector.port';
import { ConnectionService } from '../../src/modules/connectors/connection.service';
import {
  CrmContactImporter,
  type CrmConnectionRef,
  type CrmImportOutcome,
} from '../../src/modules/connectors/crm-contact.importer';
import { type CameBackRecord, RecordLinks } from '../../src/modules/connectors/record-links.service';
import { SubjectErasureService } from '../../src/modules/ledger';
import { LedgerService } from '../../src/modules/ledger/ledger.service';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startTestContext } from '../support/app';

/**
 * Stay erased: CRM records of a person the gateway forgot come back through the one import path (backfill, polls,
 * CRM webhooks) and create nobody; they are linked to the erased skeleton and announced, so the erasure is sent to
 * them again. Real PostgreSQL, the real ledger erasure.
 */
describe(`${CrmContactImporter.name} (stay erased)`, () => {
  let db: TestDatabase;
  let ctx: INestApplicationContext;
  let importer: CrmContactImporter;
  let links: RecordLinks;
  let ledger: LedgerService;
  let erasure: SubjectErasureService;
  let data: DataSource;
  let connection: CrmConnectionRef;
  let cameBack: CameBackRecord[][];

  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = await startTestContext(db.url);
    importer = ctx.get(CrmContactImporter);
    links = ctx.get(RecordLinks);
    ledger = ctx.get(LedgerService);
    erasure = ctx.get(SubjectErasureService);
    data = ctx.get(DataSource);
    const created = await ctx.get(ConnectionService).create({
      type: 'hubspot',
      name: 'HubSpot (stay erased spec)',
      credentials: { accessToken: 'pat-na1-test' },
    });
    connection = { id: created.id, source: 'hubspot', phoneRegion: 'DE' };
    links.onRecordsCameBack(async (_m, connectionId, records) => {
      if (connectionId === connection.id) cameBack.push(records);
    });
  });

  beforeEach(() => {
    cameBack = [];
  });

  afterAll(async () => {
    await ctx?.close();
    await db?.drop();
  });

  let n = 0;
  function record(over: Partial<RemoteContact> = {}): RemoteContact {
    n++;
    return {
      remoteId: `r-${n}-${randomUUID().slice(0, 8)}`,
      recordType: 'contact',
      phones: [],
      email: null,
      region: null,
      observedAt: new Date(Date.now() - 1000).toISOString(),
      consent: null,
      unreadable: [],
      ...over,
    };
  }
  const importPage = (records: RemoteContact[]) =>
    ledger.transaction((m) =>
      importer.importPage(
        m,
        connection,
        records.map((r) => ({
          record: r,
          receivedAt: new Date(),
          sourceEventId: `spec:${r.remoteId}`,
          method: 'import' as const,
          evidence: { spec: true },
        })),
      ),
    );
  const subjectOf = (o: CrmImportOutcome) => ('subjectId' in o ? o.subjectId : null);
  const subjects = async () =>
    Number((await data.query<{ n: string }[]>(`SELECT count(*) AS n FROM subject`))[0].n);
  const linkRows = async (subjectId: string) =>
    Number(
      (
        await data.query<{ n: string }[]>(
          `SELECT count(*) AS n FROM connection_record WHERE subject_id = $1`,
          [subjectId],
        )
      )[0].n,
    );

  /** A person known by a phone and an email through one CRM record, then forgotten by the gateway. */
  async function forgottenPerson(phone: string, email: string): Promise<string> {
    const [outcome] = await importPage([record({ phones: [{ field: 'phone', value: phone }], email })]);
    const subjectId = subjectOf(outcome)!;
    await ledger.transaction((m) => erasure.forget(m, subjectId, null));
    return subjectId;
  }

  it('removes the forgotten person’s record links at every connection', async () => {
    const subjectId = await forgottenPerson('+49 1511 0000001', 'one@example.com');
    expect(await linkRows(subjectId)).toBe(0);
  });

  it('creates nobody for a record that comes back with the erased phone, links it to the skeleton and announces it', async () => {
    const erased = await forgottenPerson('+49 1511 0000002', 'two@example.com');
    const before = await subjects();
    const again = record({ phones: [{ field: 'mobilephone', value: '01511 0000002' }] });
    const [outcome] = await importPage([again]);
    expect(outcome).toEqual({ outcome: 'came_back', erasedSubjectId: erased });
    expect(await subjects()).toBe(before);
    expect(cameBack).toEqual([
      [{ erasedSubjectId: erased, remoteId: again.remoteId, recordType: 'contact' }],
    ]);
    expect((await links.remoteIds(connection.id, [erased])).get(erased)).toEqual([again.remoteId]);
  });

  it('records no consent a came-back record shows', async () => {
    await forgottenPerson('+49 1511 0000003', 'three@example.com');
    const events = async () =>
      Number((await data.query<{ n: string }[]>(`SELECT count(*) AS n FROM consent_event`))[0].n);
    const before = await events();
    await importPage([
      record({
        email: 'Three@Example.com',
        consent: {
          status: 'granted',
          capturedAt: new Date().toISOString(),
          scope: null,
          ownWriteEventId: null,
        },
      }),
    ]);
    expect(await events()).toBe(before);
  });

  it('imports a record that also names a living person as theirs, without attaching the erased phone', async () => {
    await forgottenPerson('+49 1511 0000004', 'four@example.com');
    const [living] = await importPage([record({ email: 'living@example.com' })]);
    const [mixed] = await importPage([
      record({ phones: [{ field: 'phone', value: '+49 1511 0000004' }], email: 'living@example.com' }),
    ]);
    expect(mixed).toMatchObject({ outcome: 'linked', subjectId: subjectOf(living) });
    expect(cameBack).toEqual([]);
    const phones = await data.query<{ n: string }[]>(
      `SELECT count(*) AS n FROM subject_identity WHERE subject_id = $1 AND kind = 'phone'`,
      [subjectOf(living)],
    );
    expect(Number(phones[0].n)).toBe(0);
  });

  it('still creates the page’s other people in the same import', async () => {
    await forgottenPerson('+49 1511 0000005', 'five@example.com');
    const outcomes = await importPage([
      record({ phones: [{ field: 'phone', value: '+49 1511 0000005' }] }),
      record({ phones: [{ field: 'phone', value: '+49 1511 0000006' }] }),
    ]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['came_back', 'linked']);
  });

  it('records nothing from a webhook naming only the value of a record linked to the erased skeleton', async () => {
    const erased = await forgottenPerson('+49 1511 0000008', 'eight@example.com');
    const again = record({ email: 'eight@example.com' });
    await importPage([again]);
    const [outcome] = await ledger.transaction((m) =>
      importer.importPage(m, connection, [
        {
          record: {
            ...again,
            email: null,
            consent: {
              status: 'granted',
              capturedAt: new Date().toISOString(),
              scope: null,
              ownWriteEventId: null,
            },
          },
          partial: true,
          receivedAt: new Date(),
          sourceEventId: `spec-webhook:${again.remoteId}`,
          method: 'crm_sync',
          evidence: { spec: true },
        },
      ]),
    );
    expect(outcome).toEqual({ outcome: 'suppressed' });
    const events = await data.query(
      `SELECT 1 FROM consent_event WHERE subject_id = $1 AND source = 'hubspot'`,
      [erased],
    );
    expect(events).toHaveLength(0);
  });

  it('unlinks a came-back record once the erasure reached it', async () => {
    const erased = await forgottenPerson('+49 1511 0000007', 'seven@example.com');
    const again = record({ email: 'seven@example.com' });
    await importPage([again]);
    expect(await ledger.transaction((m) => links.unlink(m, connection.id, again.remoteId))).toBe(true);
    expect(await linkRows(erased)).toBe(0);
  });
});
