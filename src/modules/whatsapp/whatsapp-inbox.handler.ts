import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { CryptoService } from '../../platform/crypto/crypto.service';
import { MetricsService } from '../../platform/metrics/metrics.service';
import { InboxService, type InboxHandler, type StoredInboxDelivery } from '../inbox';
import { loadRequestsConfig } from '../../config/requests-config';
import {
  ConsentBatchRecorder,
  LedgerService,
  SubjectRequestIntake,
  type RecordConsentInput,
  type RecordConsentResult,
} from '../ledger';
import { loadConsentRules, type ConsentRules } from './consent-rules';
import { buildRequestKeywords, type RequestKeywords } from './request-keywords';
import { ledgerEventId } from './wamid-pseudonym';
import { parseWhatsAppEnvelope } from './whatsapp-payload.parser';
import type { WhatsAppItem } from './whatsapp.types';

/** WhatsApp consent is marketing consent on the WhatsApp channel. */
const PURPOSE = 'marketing';
const CHANNEL = 'whatsapp';

/**
 * Turns a stored WhatsApp delivery into ledger events: every message, status and user_preferences item of
 * every change of every entry. Items without a consent meaning are counted and never an error.
 */
@Injectable()
export class WhatsAppInboxHandler implements InboxHandler, OnModuleInit {
  private readonly logger = new Logger(WhatsAppInboxHandler.name);
  readonly rules: ConsentRules;
  readonly requestKeywords: RequestKeywords;

  constructor(
    private readonly inbox: InboxService,
    private readonly ledger: LedgerService,
    private readonly recorder: ConsentBatchRecorder,
    private readonly metrics: MetricsService,
    private readonly crypto: CryptoService,
    @Inject(APP_CONFIG) config: AppConfig,
    // Declared by the ledger, provided by the requests module: requests commit with the inbox row.
    private readonly intake: SubjectRequestIntake,
  ) {
    this.rules = loadConsentRules(config.consentConfigPath);
    this.requestKeywords = buildRequestKeywords(
      loadRequestsConfig(config.requestsConfigPath),
      config.requestsConfigPath,
    );
  }

  onModuleInit(): void {
    this.inbox.register('whatsapp', this);
  }

  async handle(manager: EntityManager, delivery: StoredInboxDelivery): Promise<Record<string, number>> {
    return (await this.handleBatch(manager, [delivery]))[0];
  }

  /**
   * The deliveries' items in order. Consent signals are collected and recorded together (ConsentBatchRecorder:
   * the same outcome as one by one, in far fewer statements); anything else that resolves a person (a changed
   * number, a request keyword) first records what was collected before it, so every person's order holds.
   */
  async handleBatch(
    manager: EntityManager,
    deliveries: readonly StoredInboxDelivery[],
  ): Promise<Record<string, number>[]> {
    const pending: { input: RecordConsentInput; settle: (result: RecordConsentResult) => void }[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const batch = pending.splice(0);
      const results = await this.recorder.recordMany(
        manager,
        batch.map((p) => p.input),
      );
      batch.forEach((p, i) => p.settle(results[i]));
    };
    const summaries: Record<string, number>[] = [];
    for (const delivery of deliveries) {
      const summary: Record<string, number> = {};
      summaries.push(summary);
      const count = (key: string) => {
        summary[key] = (summary[key] ?? 0) + 1;
        if (key !== 'items' && !key.startsWith('consent_'))
          this.metrics.inboxItems.inc({ provider: 'whatsapp', signal: key });
      };
      const items = this.itemsOf(delivery);
      if (!items) {
        summary.items = 0;
        summary.unparseable = 1;
        continue;
      }
      summary.items = items.length;
      for (const [index, item] of items.entries()) {
        const signal = item.signal;
        if (signal.kind === 'opt_out' || signal.kind === 'opt_in') {
          const input = this.consentInput(delivery, item);
          if (!input) count('no_identity');
          else pending.push({ input, settle: (r) => count(r.duplicate ? 'duplicate' : signal.kind) });
          // The relay's consent header: counted whether or not the ledger already had it (a duplicate).
          count(signal.kind === 'opt_out' ? 'consent_withdrawn' : 'consent_granted');
        } else if (signal.kind === 'number_changed') {
          await flush();
          count(await this.changeNumber(manager, item, signal.newWaId));
        } else {
          count('no_consent_change');
        }
        if (item.request) {
          await flush();
          await this.receiveRequest(manager, delivery, item, index);
          count('subject_request');
        }
      }
    }
    await flush();
    return summaries;
  }

  /** The delivery's items, or null for a body that is not JSON. */
  private itemsOf(delivery: StoredInboxDelivery): WhatsAppItem[] | null {
    let body: unknown;
    try {
      body = JSON.parse(delivery.rawBody.toString('utf8'));
    } catch {
      // Intake refuses non-JSON, so this is only reachable for rows written by older versions.
      this.logger.warn(
        { inboxId: delivery.id },
        'stored WhatsApp delivery is not JSON; recorded with no effect',
      );
      return null;
    }
    return parseWhatsAppEnvelope(body, this.rules, this.requestKeywords);
  }

  /**
   * A request keyword from the person's own number: a request verified by its origin, received in this
   * transaction (it commits with the inbox row, and a replay of the row finds it by its dedupe key). The key
   * holds the wamid's blind index, never the wamid, and the item's index when a message has no wamid.
   */
  private async receiveRequest(
    manager: EntityManager,
    delivery: StoredInboxDelivery,
    item: WhatsAppItem,
    index: number,
  ): Promise<void> {
    const match = item.request;
    if (!match) return;
    const wamid = item.messageId;
    const messageKey = wamid
      ? this.crypto.blindIndex('wa_request_message', wamid).toString('hex').slice(0, 32)
      : `item${index}`;
    await this.intake.receive(manager, {
      type: match.type,
      origin: 'whatsapp',
      dedupeKey: `whatsapp:${delivery.id}:${messageKey}`,
      subjectId: null,
      identities: item.identities,
      // When the person sent it (Meta's timestamp): the deadline runs from there, never later.
      receivedAt: item.capturedAt ?? delivery.receivedAt,
      originConnectionId: null,
      originEvidence: {
        inbox_id: delivery.id,
        keyword_language: match.language,
        keyword: match.keyword,
        phone_number_id: item.phoneNumberId,
      },
    });
  }

  private async changeNumber(manager: EntityManager, item: WhatsAppItem, newWaId: string): Promise<string> {
    if (item.identities.length === 0) return 'no_identity';
    await this.ledger.linkIdentities(manager, item.identities, [{ kind: 'wa_id', value: newWaId }]);
    return 'number_changed';
  }

  /** The ledger event an opt-out or opt-in item asks for; null when it names nobody. */
  private consentInput(delivery: StoredInboxDelivery, item: WhatsAppItem): RecordConsentInput | null {
    const signal = item.signal;
    if (signal.kind !== 'opt_out' && signal.kind !== 'opt_in') return null;
    if (item.identities.length === 0 || !item.sourceEventId) return null;
    return {
      source: 'whatsapp',
      // Never the wamid or wa_id in clear: the ledger is append-only (wamid-pseudonym.ts).
      sourceEventId: ledgerEventId(this.crypto, item.sourceEventId),
      identities: item.identities,
      purpose: PURPOSE,
      channel: CHANNEL,
      scope: signal.scope,
      status: signal.kind === 'opt_out' ? 'withdrawn' : 'granted',
      method: signal.method,
      actor: 'subject',
      // Meta's timestamp is when the person acted; without one, the time we received it is the best bound.
      capturedAt: item.capturedAt ?? delivery.receivedAt,
      receivedAt: delivery.receivedAt,
      legalBasis: 'consent',
      payloadDigest: delivery.digest,
      inboxId: delivery.id,
      evidence: {
        ...item.evidence,
        item_type: item.itemType,
        captured_at_source: item.capturedAt ? 'payload' : 'received_at',
      },
      sealedEvidence: item.sealedEvidence,
    };
  }
}
