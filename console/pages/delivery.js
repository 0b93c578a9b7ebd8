// One delivery: who, where and what; every attempt's outcome, the last error (scrubbed of personal data when it
// was stored), the processor's evidence and reference, its confirmation; a retry where one can help.
import { api, errorNotice, h, humanize, link, mount, pageHeading } from '../lib.js';
import { personCell, retryControl, statusCell } from './deliveries.js';
import { DIRECTION_WORDS, FLAG_WORDS, RETRY_WORDS, timeWithSeconds, words } from './delivery-words.js';

const EVIDENCE_WORDS = {
  mode: 'How it was erased',
  erasure_mode: 'How it was erased',
  records: 'Records affected',
  records_affected: 'Records affected',
  confirmation: 'Processor’s confirmation',
  confirmed_at: 'Confirmed at',
  confirmation_id: 'Confirmation reference',
};

export async function renderDelivery(root, { match }) {
  const id = match[1];
  mount(root, pageHeading('Delivery'), h('p', { class: 'muted' }, 'Loading…'));
  let d;
  try {
    d = await api(`/v1/deliveries/${encodeURIComponent(id)}`);
  } catch (error) {
    mount(
      root,
      pageHeading('Delivery'),
      errorNotice(error),
      h('p', null, link('/console/deliveries', 'All deliveries')),
    );
    return;
  }
  const rows = [
    ['Person', personCell(d)],
    ['Connection', d.connection_name ?? 'Removed connection'],
    ['What was sent', words(DIRECTION_WORDS, d.direction)],
    ['Status', statusCell(d)],
    [
      'Flags',
      d.flags.length
        ? d.flags.map((f) => h('span', { class: 'badge badge-warn' }, words(FLAG_WORDS, f)))
        : 'None',
    ],
    ['Attempts', String(d.attempts)],
    ['Created', timeWithSeconds(d.created_at)],
    ['Last attempt started', timeWithSeconds(d.started_at)],
    ['Finished', timeWithSeconds(d.completed_at)],
    d.next_attempt_at ? ['Next attempt', timeWithSeconds(d.next_attempt_at)] : null,
    d.coalesced_changes
      ? [
          'Later changes carried',
          `${d.coalesced_changes} (it sends the person’s state at the time it is sent)`,
        ]
      : null,
    ['Last error', d.last_error ? h('span', { class: 'text-bad' }, d.last_error) : 'None'],
    d.last_error_class ? ['Kind of error', humanize(d.last_error_class)] : null,
    ['Vendor’s reference', d.vendor_reference ? h('code', null, d.vendor_reference) : 'None given'],
    ['Confirmation', confirmation(d)],
    d.request_id
      ? ['Data-subject request', link(`/console/requests/${d.request_id}`, 'Open the request')]
      : null,
  ].filter(Boolean);
  const retry = retryControl(d, () => renderDelivery(root, { match }));
  mount(
    root,
    pageHeading('Delivery'),
    h('p', null, link('/console/deliveries', 'All deliveries')),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'delivery-facts' },
      h('h2', { id: 'delivery-facts' }, `To ${d.connection_name ?? 'a removed connection'}`),
      h(
        'dl',
        { class: 'facts' },
        rows.map(([term, value]) => [h('dt', null, term), h('dd', null, value)]),
      ),
      retry ? h('div', { class: 'form-actions' }, retry) : null,
      !retry && d.retry_refusal === 'succeeded' ? h('p', { class: 'muted' }, RETRY_WORDS.succeeded) : null,
    ),
    evidenceSection(d.evidence),
  );
}

function confirmation(d) {
  const c = d.evidence?.confirmation;
  if (c === 'completed') return 'The processor confirmed it did this';
  if (c === 'failed') return 'The processor reported that it failed';
  if (d.status === 'awaiting_confirmation')
    return ['Waiting for the processor; the wait ends ', timeWithSeconds(d.confirmation_due_at)];
  if (d.flags.includes('acknowledged_not_confirmed')) return 'Acknowledged, never confirmed';
  return 'Not asked for';
}

/** The processor's evidence as labelled fields, with the raw record beside it. */
function evidenceSection(evidence) {
  const entries = Object.entries(evidence ?? {});
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'delivery-evidence' },
    h('h2', { id: 'delivery-evidence' }, 'Evidence from the processor'),
    entries.length === 0
      ? h('p', { class: 'muted' }, 'None recorded: a consent change needs none beyond its status.')
      : [
          h(
            'dl',
            { class: 'facts' },
            entries.map(([k, v]) => [
              h('dt', null, EVIDENCE_WORDS[k] ?? humanize(k)),
              h('dd', null, typeof v === 'object' && v !== null ? JSON.stringify(v) : humanize(String(v))),
            ]),
          ),
          h(
            'details',
            null,
            h('summary', null, 'As recorded (JSON)'),
            h('pre', { class: 'mono' }, JSON.stringify(evidence, null, 2)),
          ),
        ],
  );
}
