import type { RecentDeliveryOutcomes } from '../propagation';

/** The window the overview judges a connection's health over. */
export const HEALTH_WINDOW_DAYS = 7;

export type HealthLevel = 'healthy' | 'warning' | 'failing';

export interface ConnectionHealth {
  level: HealthLevel;
  /** Why, in words a CRM admin reads ("5 of 6 deliveries skipped: no matching record at Salesforce"). */
  reason: string;
}

const VENDOR_LABEL: Record<string, string> = {
  hubspot: 'HubSpot',
  salesforce: 'Salesforce',
  webhook: 'the processor',
};

/** Skip reasons (delivery.reason) in words; unknown ones fall back to a generic phrase, never the raw value. */
const SKIP_WORDS: Record<string, (vendor: string) => string> = {
  not_found_at_vendor: (vendor) => `no matching record at ${vendor}`,
  dpa_missing: () => 'held because the vendor has no valid DPA',
  missing_identity: () => 'the person has no phone number or email this connection can use',
  waiting_for_backfill: () => 'waiting for the import of existing records',
  connection_disconnected: () => 'the connection was disconnected',
};

/** Error classes (delivery.last_error_class) of dead deliveries, in words. */
const DEAD_WORDS: Record<string, (vendor: string) => string> = {
  auth_expired: (vendor) => `${vendor} refused the gateway's credentials`,
  permanent: (vendor) => `${vendor} refused the change`,
  rate_limited: (vendor) => `${vendor} kept limiting the rate of requests`,
};

const skipWords = (reason: string | null, vendor: string) =>
  (reason !== null && Object.hasOwn(SKIP_WORDS, reason) ? SKIP_WORDS[reason](vendor) : null) ??
  'the change could not be applied';

const deadWords = (errorClass: string | null, vendor: string) =>
  (errorClass !== null && Object.hasOwn(DEAD_WORDS, errorClass) ? DEAD_WORDS[errorClass](vendor) : null) ??
  `${vendor} kept failing`;

const deliveries = (n: number) => (n === 1 ? 'delivery' : 'deliveries');

/**
 * Whether a connection is healthy, from its status and what became of its recent deliveries. A connection
 * whose finished deliveries mostly die is failing (red); mostly skip, or some die, is a warning (amber): "active"
 * alone says nothing about whether changes arrive.
 */
export function judgeHealth(
  connection: { type: string; status: string },
  recent: RecentDeliveryOutcomes | undefined,
): ConnectionHealth {
  const vendor = VENDOR_LABEL[connection.type] ?? 'the vendor';
  if (connection.status === 'auth_failed')
    return { level: 'failing', reason: `${vendor} refused the gateway's credentials: connect it again.` };
  const succeeded = recent?.succeeded ?? 0;
  const skipped = recent?.skipped ?? 0;
  const dead = recent?.dead ?? 0;
  const finished = succeeded + skipped + dead;
  if (connection.status === 'paused')
    return { level: 'warning', reason: 'Paused: changes wait until it is resumed.' };
  if (finished === 0) {
    const open = recent?.open ?? 0;
    return {
      level: 'healthy',
      reason: open
        ? `${open} ${deliveries(open)} on the way; none finished yet.`
        : `No delivery in the last ${HEALTH_WINDOW_DAYS} days.`,
    };
  }
  const of = (n: number) => `${n} of ${finished} ${deliveries(finished)}`;
  if (dead * 2 > finished)
    return {
      level: 'failing',
      reason: `${of(dead)} failed for good: ${deadWords(recent!.top_dead_class, vendor)}.`,
    };
  if ((skipped + dead) * 2 > finished) {
    const reason =
      skipped >= dead
        ? `${of(skipped)} skipped: ${skipWords(recent!.top_skip_reason, vendor)}.`
        : `${of(dead)} failed for good: ${deadWords(recent!.top_dead_class, vendor)}.`;
    return { level: 'warning', reason };
  }
  if (dead > 0)
    return {
      level: 'warning',
      reason: `${of(dead)} failed for good: ${deadWords(recent!.top_dead_class, vendor)}.`,
    };
  return { level: 'healthy', reason: `${of(succeeded)} succeeded in the last ${HEALTH_WINDOW_DAYS} days.` };
}
