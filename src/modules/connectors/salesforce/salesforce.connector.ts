import {
  type AccessPull,
  type ErasurePush,
  type RectificationPush,
  type RequestOutcome,
  type RestrictionPush,
  type SubjectRef,
} from '../connector.port';
import {
  PermanentError,
  type ChangeBatch,
  type ChangePoller,
  type ConnectionContext,
  type ConnectionCredentials,
  type Connector,
  type ConnectorDeps,
  type ConsentPush,
  type PushOutcome,
  type RemotePage,
  type TestResult,
} from '../connector.port';
import { testFailure } from '../test-outcome';
import { SalesforceClient, type SalesforceClientOptions } from './salesforce.client';
import {
  MARKETING_PURPOSE_NAME,
  SALESFORCE_MAX_PAGE_SIZE,
  SALESFORCE_TARGETS,
  WHATSAPP_CHANNEL_NAME,
  WHATSAPP_CONTACT_POINT_TYPE,
} from './salesforce.constants';
import { chunks, PERSON_FIELDS, RecordFinder, type Work } from './salesforce.lookup';
import { consentFields, consentForPush, remoteContact, soqlString } from './salesforce.mapper';
import { eraseChunk } from './salesforce.erasure';
import { pollChanges } from './salesforce.poll';
import { readPersonChunk, rectifyChunk, restrictChunk } from './salesforce.requests';
import type { FinderContext } from './salesforce.subjects';
import type { PersonRow, SalesforceMapping, SalesforceTarget } from './salesforce.types';
import { consentsOf, latestConsent, linkRecordsToIndividuals, writeConsents } from './salesforce.writer';

const isId = (v: string) => /^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(v);

/**
 * The Salesforce connector: WhatsApp marketing consent lives in a ContactPointTypeConsent (WhatsApp
 * EngagementChannelType, Marketing DataUsePurpose) of the person's Individual. A person is found through their
 * Contacts (and, when the connection targets them, Leads): linked records first, else by phone, email and
 * ContactPointPhone (salesforce.lookup.ts); the consent goes to the Individual of every record found, and the
 * records are what the gateway links to the person. Every public method is one unit of work on its own
 * jsforce Connection (salesforce.client.ts); refreshed credentials carry over to the next one.
 */
export class SalesforceConnector implements Connector, ChangePoller {
  /** Changes are reported by Contact / Lead record (its Id), whether its consent or the record itself changed. */
  readonly changeRecordKind = 'salesforce_record';
  private credentials: ConnectionCredentials;
  /** Whether the org uses ContactPointPhone: asked once per connector, on its first search. */
  private readonly contactPointPhones: { value?: boolean } = {};
  private mapping: Partial<SalesforceMapping> & { targets: SalesforceTarget[] };

  constructor(
    private readonly context: ConnectionContext,
    private readonly deps: ConnectorDeps,
    private readonly options: SalesforceClientOptions = {},
  ) {
    this.credentials = context.credentials;
    this.mapping = readMapping(context.mapping);
  }

  private async unit<T>(work: (client: SalesforceClient) => Promise<T>): Promise<T> {
    const client = new SalesforceClient(
      { ...this.context, credentials: this.credentials },
      this.deps,
      this.options,
    );
    try {
      return await work(client);
    } finally {
      this.credentials = client.credentials;
    }
  }

  // ------------------------------------------------------------------ setup

  async ensureSetup(): Promise<Record<string, unknown>> {
    const mapping = await this.unit((client) => this.setup(client));
    return { ...mapping };
  }

  /** The channel and purpose ids: from the mapping when known, else found by Name, else created. */
  private async setup(client: SalesforceClient): Promise<SalesforceMapping> {
    const { targets } = this.mapping;
    let { engagementChannelTypeId, dataUsePurposeId } = this.mapping;
    if (!engagementChannelTypeId) {
      const rows = await client.queryAll<{ Id: string; ContactPointType: string | null }>(
        `SELECT Id, ContactPointType FROM EngagementChannelType WHERE Name = ${soqlString(WHATSAPP_CHANNEL_NAME)}`,
      );
      engagementChannelTypeId =
        (rows.find((r) => r.ContactPointType === WHATSAPP_CONTACT_POINT_TYPE) ?? rows[0])?.Id ??
        (await client.createOne('EngagementChannelType', {
          Name: WHATSAPP_CHANNEL_NAME,
          ContactPointType: WHATSAPP_CONTACT_POINT_TYPE,
          IsActive: true,
        }));
    }
    if (!dataUsePurposeId) {
      const rows = await client.queryAll<{ Id: string }>(
        `SELECT Id FROM DataUsePurpose WHERE Name = ${soqlString(MARKETING_PURPOSE_NAME)}`,
      );
      dataUsePurposeId =
        rows[0]?.Id ??
        (await client.createOne('DataUsePurpose', {
          Name: MARKETING_PURPOSE_NAME,
          Description: 'Marketing messages (Consent Gateway)',
          CanDataSubjectOptOut: true,
        }));
    }
    const mapping = { engagementChannelTypeId, dataUsePurposeId, targets };
    this.mapping = mapping;
    return mapping;
  }

  /**
   * The org a token reaches, from the OpenID Connect UserInfo endpoint of its instance (`organization_id`): a token
   * given by hand comes without the identity URL an OAuth flow returns. Null when the endpoint refuses the token
   * (it may lack the scope), so that connecting is not blocked by it.
   */
  async accountId(): Promise<string | null> {
    try {
      const info = await this.unit((client) =>
        client.call('userinfo', (conn) =>
          conn.request<{ organization_id?: string }>('/services/oauth2/userinfo'),
        ),
      );
      return typeof info?.organization_id === 'string' ? info.organization_id : null;
    } catch {
      return null;
    }
  }

  // ------------------------------------------------------------------ test

  async test(): Promise<TestResult> {
    try {
      return await this.unit(async (client) => {
        const page = await client.query<{ Id: string }>(
          `SELECT Id FROM EngagementChannelType WHERE Name = ${soqlString(WHATSAPP_CHANNEL_NAME)} LIMIT 1`,
        );
        return {
          ok: true,
          detail:
            page.records.length > 0
              ? 'Connected; the WhatsApp engagement channel exists'
              : 'Connected; the WhatsApp engagement channel does not exist yet and is created on setup',
        };
      });
    } catch (err) {
      return testFailure(err);
    }
  }

  // ------------------------------------------------------------------ push

  // ------------------------------------------------------------------ data-subject requests

  /** Art. 17 (salesforce.erasure.ts): ShouldForget on every Individual, then deletion or masking by the mode. */
  async erase(items: ErasurePush[]): Promise<RequestOutcome[]> {
    return this.requestOperation(items, eraseChunk);
  }

  /** Art. 18: Individual.HasOptedOutProcessing holds the current restriction. */
  async restrict(items: RestrictionPush[]): Promise<RequestOutcome[]> {
    return this.requestOperation(items, restrictChunk);
  }

  /** Art. 16 / 19: previous phones and emails replaced by the corrected ones in every record found. */
  async rectify(items: RectificationPush[]): Promise<RequestOutcome[]> {
    return this.requestOperation(items, rectifyChunk);
  }

  /** Art. 15: Contacts, Leads, Individuals and their consent records and contact points. */
  async readPerson(items: AccessPull[]): Promise<RequestOutcome[]> {
    return this.requestOperation(items, readPersonChunk);
  }

  /** One unit of work, in chunks of at most 200 people (the size of one sObject Collections call). */
  private async requestOperation<T extends SubjectRef>(
    items: T[],
    run: (client: SalesforceClient, context: FinderContext, chunk: T[]) => Promise<RequestOutcome[]>,
  ): Promise<RequestOutcome[]> {
    if (items.length === 0) return [];
    return this.unit(async (client) => {
      const context: FinderContext = {
        targets: this.mapping.targets,
        phoneRegion: this.context.phoneRegion,
        contactPointPhones: this.contactPointPhones,
      };
      const outcomes: RequestOutcome[] = [];
      for (const chunk of chunks(items)) outcomes.push(...(await run(client, context, chunk)));
      return outcomes;
    });
  }

  async pushConsent(items: ConsentPush[]): Promise<PushOutcome[]> {
    if (items.length === 0) return [];
    return this.unit(async (client) => {
      const mapping = await this.setup(client);
      const outcomes: PushOutcome[] = [];
      for (const chunk of chunks(items)) outcomes.push(...(await this.pushChunk(client, mapping, chunk)));
      return outcomes;
    });
  }

  /**
   * At most 200 people: a bounded number of calls whatever the chunk's size (links, SOSL by phone, email, then the
   * Individual, link and consent writes, each batched).
   */
  private async pushChunk(
    client: SalesforceClient,
    mapping: SalesforceMapping,
    items: ConsentPush[],
  ): Promise<PushOutcome[]> {
    const outcomes = new Array<PushOutcome | undefined>(items.length);
    const works = new Map<number, Work>();
    items.forEach((item, i) => {
      const consent = consentForPush(item.states);
      const remoteIds = item.remoteIds.filter(isId);
      if (!consent) {
        outcomes[i] = {
          deliveryId: item.deliveryId,
          outcome: 'skipped',
          reason: 'no_whatsapp_marketing_state',
        };
      } else if (item.phones.length === 0 && item.emails.length === 0 && remoteIds.length === 0) {
        outcomes[i] = { deliveryId: item.deliveryId, outcome: 'skipped', reason: 'missing_identity' };
      } else {
        works.set(i, {
          item: { ...item, remoteIds },
          consent,
          phones: new Set(item.phones),
          emails: new Set(item.emails.map((e) => e.trim().toLowerCase())),
          records: new Map(),
          individuals: [],
        });
      }
    });

    const finder = new RecordFinder(
      client,
      mapping.targets,
      this.context.phoneRegion,
      this.contactPointPhones,
    );
    await finder.find([...works.values()]);
    for (const [i, w] of works) {
      if (w.individuals.length === 0 && w.records.size === 0) {
        outcomes[i] = { deliveryId: w.item.deliveryId, outcome: 'skipped', reason: 'not_found_at_vendor' };
        works.delete(i);
      }
    }
    const live = () => [...works.values()].filter((w) => !w.error);
    await linkRecordsToIndividuals(client, live());
    const written = await writeConsents(client, mapping, live());

    for (const [i, w] of works) {
      const deliveryId = w.item.deliveryId;
      const error = w.error ?? w.individuals.map((id) => written.get(id)?.error).find((e) => e !== undefined);
      if (error) {
        outcomes[i] = { deliveryId, outcome: 'failed', error };
        continue;
      }
      const result = written.get(w.individuals[0]);
      const records = [...w.records.values()]
        .sort((a, b) => (a.Id < b.Id ? -1 : 1))
        .map((p) => ({ remoteId: p.Id, recordType: p.type }));
      outcomes[i] = {
        deliveryId,
        outcome: 'succeeded',
        records,
        vendorReference: result?.recordIds[0] ?? null,
        pushed: {
          PrivacyConsentStatus: result?.consent.status,
          EffectiveFrom: result?.consent.capturedAt,
          CaptureSource: result ? consentFields(result.consent).CaptureSource : undefined,
          individualIds: w.individuals,
          consentRecordIds: w.individuals.flatMap((id) => written.get(id)?.recordIds ?? []),
        },
      };
    }
    return outcomes.map(
      (o, i) =>
        o ?? {
          deliveryId: items[i].deliveryId,
          outcome: 'failed',
          error: new PermanentError('not processed'),
        },
    );
  }

  // ------------------------------------------------------------------ backfill

  /**
   * Pages through the targeted record types, Contacts first, ordered by Id (keyset: `Id > last`): one RemoteContact
   * per Contact / Lead with its Individual's WhatsApp-marketing consent. Converted Leads are left out (the Contact
   * they became carries the person). Cursor: `<Type>:<last Id>`.
   */
  async listContacts(cursor: string | null, pageSize: number): Promise<RemotePage> {
    const size = Math.max(1, Math.min(SALESFORCE_MAX_PAGE_SIZE, Math.floor(pageSize)));
    return this.unit(async (client) => {
      const mapping = await this.setup(client);
      const targets = mapping.targets;
      let { index, after } = parseListCursor(cursor, targets);
      while (index < targets.length) {
        const type = targets[index];
        const where = after ? ` WHERE Id > ${soqlString(after)}` : '';
        const page = await client.query<PersonRow>(
          `SELECT ${PERSON_FIELDS[type]} FROM ${type}${where} ORDER BY Id LIMIT ${size}`,
        );
        const rows = page.records;
        if (rows.length === 0) {
          index++;
          after = null;
          continue;
        }
        // Filtered here rather than in SOQL so that a page of only converted Leads still moves the keyset on.
        const people = rows.map((r) => ({ ...r, type })).filter((p) => !(p.type === 'Lead' && p.IsConverted));
        const consents = await consentsOf(
          client,
          mapping,
          people.map((r) => r.IndividualId).filter((id): id is string => !!id),
        );
        const contacts = people.map((p) => remoteContact(p, latestConsent(consents, p.IndividualId)));
        const next =
          rows.length === size
            ? `${type}:${rows[rows.length - 1].Id}`
            : index + 1 < targets.length
              ? `${targets[index + 1]}:`
              : null;
        return { contacts, next };
      }
      return { contacts: [], next: null };
    });
  }

  // ------------------------------------------------------------------ sync back

  /** Consent edits and new or edited Contacts / Leads since the cursor (salesforce.poll.ts). */
  async pollChanges(cursor: string | null): Promise<ChangeBatch> {
    return this.unit(async (client) => pollChanges(client, await this.setup(client), cursor));
  }
}

function readMapping(
  raw: Record<string, unknown>,
): Partial<SalesforceMapping> & { targets: SalesforceTarget[] } {
  const str = (v: unknown) => (typeof v === 'string' && isId(v) ? v : undefined);
  const targets = Array.isArray(raw.targets)
    ? SALESFORCE_TARGETS.filter((t) => (raw.targets as unknown[]).includes(t))
    : [];
  return {
    engagementChannelTypeId: str(raw.engagementChannelTypeId),
    dataUsePurposeId: str(raw.dataUsePurposeId),
    // Both by default: a person's STOP must reach their Lead as well as their Contact (a mapping may narrow it).
    targets: targets.length > 0 ? targets : [...SALESFORCE_TARGETS],
  };
}

function parseListCursor(
  cursor: string | null,
  targets: readonly SalesforceTarget[],
): { index: number; after: string | null } {
  if (!cursor) return { index: 0, after: null };
  const [type, id] = cursor.split(':');
  const index = targets.indexOf(type as SalesforceTarget);
  if (index < 0 || (id && !isId(id)))
    throw new PermanentError(`invalid Salesforce backfill cursor: ${cursor}`);
  return { index, after: id || null };
}
