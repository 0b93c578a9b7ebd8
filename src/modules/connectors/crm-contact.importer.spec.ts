import { QueryFailedError, type EntityManager } from 'typeorm';
import type { IdentityService } from '../ledger/identity.service';
import type { LedgerReader } from '../ledger/ledger.reader';
import type { LedgerService, RecordConsentInput } from '../ledger/ledger.service';
import type { IdentityInput } from '../ledger/ledger.types';
import type { ConnectionService } from './connection.service';
import {
  CrmContactImporter,
  tally,
  type CrmContactObservation,
  type CrmImportKind,
} from './crm-contact.importer';

/** Hand-made fakes: a ledger that knows a few subjects, links kept in a map. */
function setup() {
  const links = new Map<string, string>();
  const pushed = new Map<string, Record<string, unknown>>();
  const events = new Map<string, string>([['evt-own', 'withdrawn']]);
  const recorded: RecordConsentInput[] = [];
  const seen = new Set<string>();
  let failNext: Error | null = null;
  const usable = (i: IdentityInput) =>
    (i.kind === 'phone' && /^\+\d{8,}$/.test(i.value)) ||
    (i.kind === 'email' && i.value.includes('@')) ||
    i.kind === 'hubspot_id';
  const ledger = {
    resolveSubject: async (_m: EntityManager, inputs: readonly IdentityInput[]) =>
      `subject:${inputs.map((i) => i.value).join('+')}`,
    // This fake's prepare() hands back the usable inputs themselves.
    resolvePreparedSubject: async (_m: EntityManager, prepared: readonly IdentityInput[]) =>
      `subject:${prepared.map((i) => i.value).join('+')}`,
    recordConsent: async (_m: EntityManager, input: RecordConsentInput) => {
      if (failNext) {
        const error = failNext;
        failNext = null;
        throw error;
      }
      const duplicate = seen.has(input.sourceEventId);
      seen.add(input.sourceEventId);
      if (!duplicate) recorded.push(input);
      return { eventId: 'e1', subjectId: input.subjectId!, effect: 'changed' as const, duplicate };
    },
  } as unknown as LedgerService;
  const identities = {
    prepare: (inputs: readonly IdentityInput[]) => inputs.filter(usable),
  } as unknown as IdentityService;
  const connections = {
    subjectForRemote: async (c: string, r: string) => links.get(`${c}/${r}`) ?? null,
    saveRemote: async (c: string, s: string, r: string) => void links.set(`${c}/${r}`, s),
    lastPushed: async (c: string, s: string) => pushed.get(`${c}/${s}`) ?? null,
  } as unknown as ConnectionService;
  const ledgerReader = {
    eventStatus: async (id: string) => events.get(id) ?? null,
  } as unknown as LedgerReader;
  const importer = new CrmContactImporter(ledger, identities, connections, ledgerReader);
  const manager = {} as EntityManager;
  const observe = (over: Partial<CrmContactObservation> = {}): CrmContactObservation => ({
    connectionId: 'c1',
    source: 'salesforce',
    remoteId: 'r1',
    phone: '+16505550101',
    email: null,
    consent: { status: 'granted', capturedAt: '2026-06-01T10:00:00Z', scope: null, ownWriteEventId: null },
    receivedAt: new Date(),
    sourceEventId: `src-${Math.random()}`,
    method: 'crm_sync',
    evidence: {},
    ...over,
  });
  return {
    importer,
    manager,
    links,
    pushed,
    recorded,
    observe,
    failWith: (e: Error) => (failNext = e),
  };
}

describe('CrmContactImporter', () => {
  it('records the consent a new record shows, linking it to the person its identifiers name', async () => {
    const { importer, manager, links, recorded, observe } = setup();
    const result = await importer.import(manager, observe());
    expect(result).toMatchObject({
      outcome: 'recorded',
      status: 'granted',
      subjectId: 'subject:+16505550101',
    });
    expect(links.get('c1/r1')).toBe('subject:+16505550101');
    expect(recorded[0]).toMatchObject({ source: 'salesforce', actor: 'crm', originConnectionId: 'c1' });
  });

  it('uses the existing link before the identifiers, and says unchanged for an event already recorded', async () => {
    const { importer, manager, links, observe } = setup();
    links.set('c1/r1', 'linked-subject');
    const first = await importer.import(manager, observe({ sourceEventId: 'same' }));
    expect(first).toMatchObject({ outcome: 'recorded', subjectId: 'linked-subject' });
    expect(await importer.import(manager, observe({ sourceEventId: 'same' }))).toMatchObject({
      outcome: 'unchanged',
    });
  });

  it('drops a malformed phone when an email still names the person; no usable identifier is invalid_value', async () => {
    const { importer, manager, observe } = setup();
    expect(await importer.import(manager, observe({ phone: '12', email: 'a@example.com' }))).toMatchObject({
      outcome: 'recorded',
      subjectId: 'subject:a@example.com',
    });
    expect(await importer.import(manager, observe({ remoteId: 'r2', phone: '12' }))).toEqual({
      outcome: 'invalid_value',
      reason: 'no usable identifier',
    });
    expect(await importer.import(manager, observe({ remoteId: 'r3', phone: null }))).toEqual({
      outcome: 'no_identifier',
    });
  });

  it('knows an unmet record by its fallback identifier (a HubSpot webhook)', async () => {
    const { importer, manager, observe } = setup();
    const result = await importer.import(
      manager,
      observe({ phone: null, fallbackIdentity: { kind: 'hubspot_id', value: '42:r1' } }),
    );
    expect(result).toMatchObject({ outcome: 'recorded', subjectId: 'subject:42:r1' });
  });

  it('recognises the gateway’s own write by its event id only while the status is the event’s', async () => {
    const { importer, manager, observe } = setup();
    const own = (status: 'granted' | 'withdrawn') =>
      observe({
        consent: { status, capturedAt: '2026-06-01T10:00:00Z', scope: null, ownWriteEventId: 'evt-own' },
      });
    expect(await importer.import(manager, own('withdrawn'))).toMatchObject({ outcome: 'own_write' });
    // A CRM user changed the status and left CaptureSource as it was: a real change.
    expect(await importer.import(manager, own('granted'))).toMatchObject({ outcome: 'recorded' });
  });

  it('recognises the gateway’s own write by the value it last pushed to a linked record', async () => {
    const { importer, manager, links, pushed, observe } = setup();
    links.set('c1/r1', 's1');
    pushed.set('c1/s1', { consent_prop: 'OPTED_OUT' });
    const observation = (value: string) =>
      observe({
        consent: {
          status: 'withdrawn',
          capturedAt: '2026-06-01T10:00:00Z',
          scope: null,
          ownWriteEventId: null,
          lastPushedValue: { key: 'consent_prop', value },
        },
      });
    expect(await importer.import(manager, observation('OPTED_OUT'))).toMatchObject({ outcome: 'own_write' });
    expect(await importer.import(manager, observation('OPTED_IN'))).toMatchObject({ outcome: 'recorded' });
  });

  it('links a record without consent, refuses an unreadable capture time, counts a refusal, rethrows database errors', async () => {
    const { importer, manager, observe, failWith } = setup();
    const counts: Partial<Record<CrmImportKind, number>> = {};
    tally(counts, await importer.import(manager, observe({ consent: null })));
    tally(
      counts,
      await importer.import(
        manager,
        observe({
          consent: { status: 'granted', capturedAt: 'yesterday', scope: null, ownWriteEventId: null },
        }),
      ),
    );
    failWith(new TypeError('refused'));
    tally(counts, await importer.import(manager, observe()));
    expect(counts).toEqual({ linked: 1, invalid_value: 1, failed: 1 });
    failWith(new QueryFailedError('INSERT', [], new Error('deadlock')));
    await expect(importer.import(manager, observe())).rejects.toBeInstanceOf(QueryFailedError);
  });
});
