// Deliveries in plain words: what was sent, how it ended and why, for the deliveries, delivery and person
// pages. The API's codes never reach the screen; an unknown code is shown humanized rather than hidden.
import { h, humanize } from '../lib.js';

export const STATUS_WORDS = {
  pending: 'Waiting to be sent',
  in_progress: 'Being sent',
  succeeded: 'Delivered',
  retrying: 'Will be retried',
  dead: 'Failed, gave up',
  skipped: 'Skipped',
  awaiting_confirmation: 'Waiting for the processor to confirm',
};

export const DIRECTION_WORDS = {
  grant: 'Consent granted',
  withdrawal: 'Consent withdrawn',
  current_state: 'Current consent (a record came back)',
  erasure: 'Erasure',
  restriction: 'Restriction',
  rectification: 'Rectification',
  access_export: 'Access export',
};

/** The operations the filter offers (a consent change is a grant or a withdrawal). */
export const OPERATION_WORDS = {
  consent_update: 'Consent change (grant or withdrawal)',
  erasure: 'Erasure',
  restriction: 'Restriction',
  rectification: 'Rectification',
  access_export: 'Access export',
};

export const FLAG_WORDS = {
  dpa_missing: 'Sent without a DPA',
  record_came_back: 'Record came back after erasure',
  acknowledged_not_confirmed: 'Acknowledged, never confirmed',
};

export const REASON_WORDS = {
  not_found_at_vendor: 'the vendor has no record of this person',
  dpa_missing: 'held: the vendor has no valid DPA',
  waiting_for_backfill: 'waiting for the import of the vendor’s records',
  disconnected: 'the connection was disconnected',
  processor_reported_failure: 'the processor reported that it failed',
  no_read_api: 'this vendor offers no way to read records',
  payload_cleared: 'the request closed before it could be sent',
};

export const RETRY_WORDS = {
  succeeded: 'Delivered: nothing to retry.',
  not_finished: 'Still on its way: it is retried by itself.',
  waits_for_record:
    'No retry needed: the vendor has no record of this person yet. It is sent again by itself when a record appears.',
  waits_for_dpa: 'Held until the vendor has a valid DPA: it goes out by itself once there is one.',
};

export const words = (map, code) => (code ? (map[code] ?? humanize(code)) : '—');

const TONES = {
  succeeded: 'ok',
  dead: 'bad',
  retrying: 'warn',
  skipped: 'warn',
  awaiting_confirmation: 'warn',
};

/** A status badge in words (colour and text, never colour alone). */
export function statusBadge(status) {
  return h('span', { class: `badge badge-${TONES[status] ?? 'neutral'}` }, words(STATUS_WORDS, status));
}

/** A time as people read it, to the second (the order of events must be visible), with its ISO value. */
export function timeWithSeconds(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return h(
    'time',
    { datetime: iso },
    d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }),
  );
}
