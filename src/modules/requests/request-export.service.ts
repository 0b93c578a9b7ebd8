import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { ControllerSettingsService } from '../settings';
import { Clock } from '../../platform/clock/clock';
import { LedgerReader, type PersonExport } from '../ledger';
import { RequestDeliveries, type RequestDeliveryView } from '../propagation';
import { RecipientDirectory, type RecipientFacts } from '../vendors';
import { renderReport } from './access-export.html';
import type { AccessExportResponse } from './dto/request.responses';
import { RequestHistoryRepository } from './request-history.repository';
import { RequestPolicy } from './request-policy';
import { RequestViews } from './request-views';
import { RequestWorkflow } from './request-workflow';
import { RequestRepository } from './request.repository';
import { ExportUnavailableError, RequestNotFoundError } from './requests.errors';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

/** The ledger's camelCase keys as the export's snake_case, at every depth (values untouched). */
function snakeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeKeys);
  if (typeof value !== 'object' || value === null || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase(),
      snakeKeys(v),
    ]),
  );
}

function personSection(person: PersonExport): Record<string, unknown> {
  return snakeKeys(person) as Record<string, unknown>;
}

/** What each operation sent to a processor, in words a person understands (Art. 15(1)(c): what, and when). */
const WHAT_WAS_SENT: Record<string, string> = {
  consent_update: 'your consent status, with your phone number and email address to find your record',
  erasure: 'an instruction to erase your data, with the identifiers needed to find it',
  restriction: 'an instruction to restrict (or stop restricting) the processing of your data',
  rectification: 'your corrected phone number or email address, and the previous one to find your record',
  access_export: 'a request for the data it holds on you (for this export)',
};

function facts(f: RecipientFacts | undefined) {
  if (!f) return null;
  return {
    name: f.name,
    legal_name: f.legalName,
    country: f.country,
    role: f.role,
    privacy_contact_email: f.privacyContactEmail,
    data_processing_agreement: {
      status: f.dpa.status,
      in_force: f.dpa.valid,
      version: f.dpa.version,
      signed_at: f.dpa.signedAt,
      expires_at: f.dpa.expiresAt,
      assists_with_requests_within_days: f.dpa.dsrAssistanceDays,
      document_sha256: f.dpa.documentSha256,
    },
    transfers_outside_eea: f.transfers.map((t) => ({
      country: t.country,
      safeguard: t.mechanism,
      sccs_module: t.sccs_module ?? null,
    })),
  };
}

/**
 * The access export (Art. 15 and 20): everything the gateway holds on the person (ledger), every processor that
 * received their data, what and when (deliveries), each processor's DPA and transfers (registry), what the connected
 * CRMs hold (pulled for this request), the retention that applies, and the person's requests with their history.
 */
@Injectable()
export class RequestExport {
  constructor(
    private readonly requests: RequestRepository,
    private readonly history: RequestHistoryRepository,
    private readonly views: RequestViews,
    private readonly workflow: RequestWorkflow,
    private readonly deliveries: RequestDeliveries,
    private readonly reader: LedgerReader,
    private readonly recipients: RecipientDirectory,
    private readonly policy: RequestPolicy,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly controllerSettings: ControllerSettingsService,
  ) {}

  async build(id: string): Promise<AccessExportResponse> {
    const request = await this.requests.find(id);
    if (!request) throw new RequestNotFoundError(`No request ${id}`);
    if (!this.views.exportAvailable(request) || !request.subjectId)
      throw new ExportUnavailableError('Only a completed access request of a known person has an export.', [
        { field: 'id', message: 'is not a completed access request' },
      ]);
    const subjectId = request.subjectId;
    const [person, sent, pulled, ownRequests, registry] = await Promise.all([
      this.reader.personExport(subjectId),
      this.deliveries.forSubject(subjectId),
      this.workflow.processorDeliveries(request, true),
      this.requests.ofSubject(subjectId),
      this.recipients.activityRecipients(),
    ]);
    const vendorIds = [...sent.map((d) => d.vendorId), ...registry.map((r) => r.vendorId)].filter(
      (v): v is string => v !== null,
    );
    const vendorFacts = await this.recipients.factsOf(vendorIds);
    const histories = await this.history.of(ownRequests.map((r) => r.id));
    // The controller as saved in the console (the CONTROLLER_* configuration until then).
    const receipts = await this.controllerSettings.forReceipts();
    return {
      format: 'consent-gateway.access-export/1',
      generated_at: new Date(this.clock.now()).toISOString(),
      controller: {
        ...receipts.controller,
        privacy_policy_url: receipts.policyUrl,
        jurisdiction: this.config.jurisdiction,
      },
      request: {
        id: request.id,
        type: request.type,
        received_at: request.receivedAt.toISOString(),
        completed_at: iso(request.completedAt),
      },
      person: personSection(person),
      recipients: this.recipientsOf(sent, registry, vendorFacts),
      crm_data: pulled.map((d) => ({
        connection: d.connectionName,
        vendor: d.vendorName,
        status: d.status,
        reason: d.reason,
        read_at: iso(d.completedAt),
        records: (d.data ?? []).map((r) => ({
          record_type: r.recordType,
          record_id: r.remoteId,
          fields: r.fields,
        })),
      })),
      retention: {
        inactive_people_erased_after_months: this.policy.inactiveMonths,
        raw_webhook_messages_kept_days: this.policy.inboxRetentionDays,
        after_erasure:
          'identifiers, evidence and messages are deleted; a pseudonymous record of consent events and of this ' +
          'request stays as proof (GDPR Art. 17(3)(b), accountability)',
      },
      requests: ownRequests.map((r) => ({
        id: r.id,
        type: r.type,
        status: r.status,
        received_at: r.receivedAt.toISOString(),
        completed_at: iso(r.completedAt),
        history: histories
          .filter((h) => h.requestId === r.id)
          .map((h) => ({ at: h.at.toISOString(), action: h.action })),
      })),
    };
  }

  /** One entry per connection that received the person's data, then registry recipients no API reaches. */
  private recipientsOf(
    sent: readonly RequestDeliveryView[],
    registry: readonly { vendorId: string; name: string }[],
    vendorFacts: Map<string, RecipientFacts>,
  ): Record<string, unknown>[] {
    const byConnection = new Map<string, RequestDeliveryView[]>();
    for (const d of sent) byConnection.set(d.connectionId, [...(byConnection.get(d.connectionId) ?? []), d]);
    const out: Record<string, unknown>[] = [...byConnection.values()].map((ds) => ({
      recipient: ds[0].vendorName ?? ds[0].connectionName,
      connection: ds[0].connectionName,
      connection_type: ds[0].connectionType,
      vendor: facts(ds[0].vendorId ? vendorFacts.get(ds[0].vendorId) : undefined),
      sent: ds.map((d) => ({
        what: WHAT_WAS_SENT[d.operation] ?? d.operation,
        operation: d.operation,
        status: d.status,
        at: iso(d.completedAt ?? d.createdAt),
      })),
    }));
    const connected = new Set(sent.map((d) => d.vendorId));
    for (const r of registry)
      if (!connected.has(r.vendorId))
        out.push({
          recipient: r.name,
          connection: null,
          connection_type: null,
          vendor: facts(vendorFacts.get(r.vendorId)),
          sent: [],
          basis: 'named a recipient in the record of processing activities',
        });
    return out;
  }

  html(data: AccessExportResponse): { html: string; csp: string } {
    return renderReport(
      'Your data: access report',
      `Everything ${data.controller.name as string} holds about you through its consent gateway, as of ${data.generated_at}.`,
      [
        { title: 'Who we are', intro: 'The controller responsible for your data.', value: data.controller },
        { title: 'Your request', intro: 'The request this report answers.', value: data.request },
        {
          title: 'What we hold about you',
          intro:
            'Your identifiers, every consent event with its evidence and receipt, and your current consent.',
          value: data.person,
        },
        {
          title: 'Who received your data',
          intro: 'Every processor your data was sent to, what and when, with its agreement and transfers.',
          value: data.recipients,
        },
        {
          title: 'What our connected systems hold',
          intro: 'The records our CRMs hold about you, read for this request.',
          value: data.crm_data,
        },
        {
          title: 'How long we keep it',
          intro: 'The retention that applies to your data.',
          value: data.retention,
        },
        {
          title: 'Your requests',
          intro: 'Your requests to us and what happened with them.',
          value: data.requests,
        },
      ],
    );
  }
}
