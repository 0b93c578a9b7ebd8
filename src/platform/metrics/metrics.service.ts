import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of this process, on their own registry (so tests can build several apps). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly webhookDeliveries = new Counter({
    name: 'cg_webhook_deliveries_total',
    help: 'Inbound webhook deliveries by provider and outcome (stored, duplicate, rejected_signature, invalid).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly intakeLatency = new Histogram({
    name: 'cg_intake_latency_seconds',
    help: 'Time from receiving a webhook to acknowledging it (stored and committed).',
    labelNames: ['provider'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly inboxItems = new Counter({
    name: 'cg_inbox_items_total',
    help: 'Webhook items processed from the inbox, by provider and signal kind.',
    labelNames: ['provider', 'signal'] as const,
    registers: [this.registry],
  });

  readonly inboxProcessingLatency = new Histogram({
    name: 'cg_inbox_ack_to_ledger_seconds',
    help: 'Time from acknowledging a webhook to its ledger effects being committed.',
    labelNames: ['provider'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly inboxFailures = new Counter({
    name: 'cg_inbox_failures_total',
    help: 'Inbox deliveries whose processing failed (they are retried).',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });

  readonly consentEvents = new Counter({
    name: 'cg_consent_events_total',
    help: 'Consent events appended to the ledger, by source, status and effect.',
    labelNames: ['source', 'status', 'effect'] as const,
    registers: [this.registry],
  });

  readonly consentChecks = new Counter({
    name: 'cg_consent_checks_total',
    help: 'Consent checks answered, by result.',
    labelNames: ['allowed'] as const,
    registers: [this.registry],
  });

  /** Checks are not access-logged (the log line would cost more than the answer): their latency is here. */
  readonly consentCheckLatency = new Histogram({
    name: 'cg_consent_check_duration_seconds',
    help: 'Time to answer a consent check (200), from its request to its answer being written.',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });

  readonly consentProjectionPeople = new Gauge({
    name: 'cg_consent_projection_people',
    help: 'People the consent check holds in memory (others are read from the database when asked about).',
    registers: [this.registry],
  });

  readonly consentProjectionReady = new Gauge({
    name: 'cg_consent_projection_ready',
    help: '1 once the consent check has loaded the ledger into memory and trusts it (LISTEN connection live).',
    registers: [this.registry],
  });

  readonly deliveries = new Counter({
    name: 'cg_deliveries_total',
    help: 'Delivery attempts finished, by connection and outcome (succeeded, skipped, retrying, dead).',
    labelNames: ['connection', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly deliveryLatency = new Histogram({
    name: 'cg_delivery_latency_seconds',
    help: 'Time from a delivery being planned (with its ledger event) to the vendor confirming it.',
    labelNames: ['connection'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [this.registry],
  });

  readonly vendorCalls = new Counter({
    name: 'cg_vendor_calls_total',
    help: 'Calls made to vendors by connection (paced below their published limits).',
    labelNames: ['connection'] as const,
    registers: [this.registry],
  });

  readonly deliveriesQueued = new Gauge({
    name: 'cg_deliveries_queued',
    help: 'Deliveries not yet finished, by connection and status (read from the database at scrape).',
    labelNames: ['connection', 'status'] as const,
    registers: [this.registry],
  });

  // ---- Relay to the business's own WhatsApp integration (issue 12), per destination key ----
  readonly relayForwarded = new Counter({
    name: 'cg_relay_forwarded_total',
    help: 'WhatsApp deliveries forwarded to a relay destination (answered 2xx).',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });

  readonly relayRetries = new Counter({
    name: 'cg_relay_retries_total',
    help: 'Relay attempts that failed and will be retried.',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });

  readonly relayDead = new Counter({
    name: 'cg_relay_dead_total',
    help: 'Relay deliveries given up at the horizon (replayable).',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });

  readonly relayLag = new Gauge({
    name: 'cg_relay_lag_seconds',
    help: 'Age of the oldest delivery not yet forwarded to a relay destination (0: none).',
    labelNames: ['destination'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'cg_' });
  }
}
