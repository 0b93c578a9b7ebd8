import { PermanentError, RateLimitedError, TransientError } from '../connectors/connector.port';
import { MAX_ATTEMPTS } from './retry-policy';
import { type ClaimedDelivery, recordOutcomes } from './record-outcomes';

const NOW = Date.UTC(2026, 0, 1, 12);
const claimed = (id: string, attempts = 1, subject = `s-${id}`): ClaimedDelivery => ({
  id,
  subject_id: subject,
  operation: 'consent_update',
  attempts,
  created_at: new Date(NOW - 3_000),
});

describe('recordOutcomes', () => {
  it('ends a delivered push succeeded, keeping the vendor reference and the latency', () => {
    const batch = recordOutcomes({
      claimed: [claimed('a')],
      outcomes: [{ deliveryId: 'a', outcome: 'succeeded', vendorReference: 'msg-1' }],
      now: NOW,
    });
    expect(batch.updates).toEqual([
      {
        id: 'a',
        status: 'succeeded',
        reason: null,
        error: null,
        errorClass: null,
        nextAttemptAt: null,
        refund: false,
        vendorReference: 'msg-1',
      },
    ]);
    expect(batch.latencies).toEqual([3]);
  });

  it("remembers the vendor's id for the person a push created or found", () => {
    const batch = recordOutcomes({
      claimed: [claimed('a', 1, 'subject-1')],
      outcomes: [
        {
          deliveryId: 'a',
          outcome: 'succeeded',
          records: [{ remoteId: 'crm-9', recordType: 'contact' }],
          pushed: { x: 1 },
        },
      ],
      pushes: [{ deliveryId: 'a', subjectId: 'subject-1' }],
      now: NOW,
    });
    expect(batch.remotes).toEqual([
      { subjectId: 'subject-1', remoteId: 'crm-9', recordType: 'contact', pushed: { x: 1 } },
    ]);
  });

  it('ends a skipped push skipped with its reason', () => {
    const batch = recordOutcomes({
      claimed: [claimed('a')],
      outcomes: [{ deliveryId: 'a', outcome: 'skipped', reason: 'dpa_missing' }],
      now: NOW,
    });
    expect(batch.updates[0]).toMatchObject({ status: 'skipped', reason: 'dpa_missing', nextAttemptAt: null });
    expect(batch.latencies).toEqual([]);
  });

  it('lets a person not found wait while a backfill runs, without spending an attempt; other skips still end', () => {
    const batch = recordOutcomes({
      claimed: [claimed('a', 1), claimed('b', 1)],
      outcomes: [
        { deliveryId: 'a', outcome: 'skipped', reason: 'not_found_at_vendor' },
        { deliveryId: 'b', outcome: 'skipped', reason: 'missing_identity' },
      ],
      now: NOW,
      waitForBackfillMs: 30_000,
    });
    expect(batch.updates).toEqual([
      expect.objectContaining({
        id: 'a',
        status: 'retrying',
        reason: 'waiting_for_backfill',
        nextAttemptAt: new Date(NOW + 30_000),
        refund: true,
      }),
      expect.objectContaining({ id: 'b', status: 'skipped', reason: 'missing_identity' }),
    ]);
  });

  it('ends a person not found skipped when no backfill is running', () => {
    const batch = recordOutcomes({
      claimed: [claimed('a', 1)],
      outcomes: [{ deliveryId: 'a', outcome: 'skipped', reason: 'not_found_at_vendor' }],
      now: NOW,
    });
    expect(batch.updates).toEqual([
      expect.objectContaining({ status: 'skipped', reason: 'not_found_at_vendor' }),
    ]);
  });

  it('retries a transient failure with backoff and jitter, keeping the error', () => {
    const batch = recordOutcomes({
      claimed: [claimed('a', 2)],
      outcomes: [{ deliveryId: 'a', outcome: 'failed', error: new TransientError('HTTP 503') }],
      now: NOW,
      random: () => 0,
    });
    expect(batch.updates[0]).toEqual({
      id: 'a',
      status: 'retrying',
      reason: null,
      error: 'HTTP 503',
      errorClass: 'transient',
      nextAttemptAt: new Date(NOW + 2_000),
      refund: false,
      vendorReference: null,
    });
  });

  it("retries a rate-limited push at the vendor's time and gives the attempt back", () => {
    const batch = recordOutcomes({
      claimed: [claimed('a', 3)],
      outcomes: [{ deliveryId: 'a', outcome: 'failed', error: new RateLimitedError('429', 7_000) }],
      now: NOW,
    });
    expect(batch.updates[0]).toMatchObject({
      status: 'retrying',
      errorClass: 'rate_limited',
      nextAttemptAt: new Date(NOW + 7_000),
      refund: true,
    });
  });

  it('ends a permanent failure dead with the reason', () => {
    const batch = recordOutcomes({
      claimed: [claimed('a')],
      outcomes: [{ deliveryId: 'a', outcome: 'failed', error: new PermanentError('HTTP 410') }],
      now: NOW,
    });
    expect(batch.updates[0]).toMatchObject({
      status: 'dead',
      reason: 'HTTP 410',
      error: 'HTTP 410',
      errorClass: 'permanent',
      nextAttemptAt: null,
    });
  });

  it('ends a transient failure dead once the attempts are spent', () => {
    const batch = recordOutcomes({
      claimed: [claimed('a', MAX_ATTEMPTS)],
      outcomes: [{ deliveryId: 'a', outcome: 'failed', error: new TransientError('HTTP 503') }],
      now: NOW,
    });
    expect(batch.updates[0]).toMatchObject({ status: 'dead', reason: expect.stringMatching(/gave up/) });
  });

  it('retries a delivery the connector said nothing about, after five seconds', () => {
    const batch = recordOutcomes({
      claimed: [claimed('a'), claimed('b')],
      outcomes: [{ deliveryId: 'a', outcome: 'succeeded' }],
      now: NOW,
    });
    expect(batch.updates.map((u) => [u.id, u.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'retrying'],
    ]);
    expect(batch.updates[1]).toMatchObject({
      error: 'connector returned no outcome',
      errorClass: 'transient',
      nextAttemptAt: new Date(NOW + 5_000),
    });
  });

  it('ignores an outcome for a delivery the batch did not claim', () => {
    const batch = recordOutcomes({
      claimed: [claimed('a')],
      outcomes: [
        { deliveryId: 'a', outcome: 'succeeded' },
        { deliveryId: 'stranger', outcome: 'succeeded' },
      ],
      now: NOW,
    });
    expect(batch.updates.map((u) => u.id)).toEqual(['a']);
  });

  describe('of data-subject request operations', () => {
    const erasure = (id: string): ClaimedDelivery => ({
      ...claimed(id),
      operation: 'erasure',
      request_id: 'r-1',
    });

    it("keeps an acknowledged erasure awaiting confirmation until the processor's wait runs out", () => {
      const batch = recordOutcomes({
        claimed: [erasure('a')],
        outcomes: [
          {
            deliveryId: 'a',
            outcome: 'awaiting_confirmation',
            evidence: { event: 'subject.erasure_requested' },
          },
        ],
        now: NOW,
        confirmationMs: 3_600_000,
      });
      expect(batch.updates).toEqual([
        expect.objectContaining({
          id: 'a',
          status: 'awaiting_confirmation',
          evidence: { event: 'subject.erasure_requested' },
          confirmationDueAt: new Date(NOW + 3_600_000),
        }),
      ]);
      expect(batch.latencies).toEqual([]);
    });

    it("keeps a request operation's evidence and the data an access request read", () => {
      const data = [{ remoteId: 'crm-1', recordType: 'contact', fields: { firstname: 'Ada' } }];
      const batch = recordOutcomes({
        claimed: [{ ...erasure('a'), operation: 'access_export' }],
        outcomes: [{ deliveryId: 'a', outcome: 'succeeded', evidence: { records_read: 1 }, data }],
        now: NOW,
      });
      expect(batch.updates[0]).toMatchObject({ status: 'succeeded', evidence: { records_read: 1 }, data });
    });

    it('links no record that an erasure removed', () => {
      const batch = recordOutcomes({
        claimed: [erasure('a')],
        outcomes: [
          { deliveryId: 'a', outcome: 'succeeded', records: [{ remoteId: 'crm-9', recordType: 'contact' }] },
        ],
        now: NOW,
      });
      expect(batch.remotes).toEqual([]);
    });
  });
});
