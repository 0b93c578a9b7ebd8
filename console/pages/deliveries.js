// Deliveries: every change owed to a processor, newest first, across all connections; filters narrow it down
// and each row opens its delivery's page. Paged by the API's keyset cursor (the table may hold millions).
import {
  api,
  ApiError,
  busy,
  can,
  errorNotice,
  field,
  flash,
  forbiddenMessage,
  formValues,
  h,
  link,
  mount,
  pageHeading,
  select,
  table,
} from '../lib.js';
import {
  DIRECTION_WORDS,
  FLAG_WORDS,
  OPERATION_WORDS,
  REASON_WORDS,
  RETRY_WORDS,
  STATUS_WORDS,
  statusBadge,
  timeWithSeconds,
  words,
} from './delivery-words.js';

const PAGE_SIZE = 50;
const FILTERS = ['connection_id', 'status', 'operation', 'flag'];

export async function renderDeliveries(root, { params, navigate }) {
  mount(root, pageHeading('Deliveries'), h('p', { class: 'muted' }, 'Loading…'));
  let connections;
  try {
    connections = (await api('/v1/connections')).connections;
  } catch (error) {
    mount(root, pageHeading('Deliveries'), errorNotice(error));
    return;
  }
  const chosen = Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? '']));
  const form = filterForm(connections, chosen);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = formValues(form);
    const query = new URLSearchParams();
    for (const k of FILTERS) if (v[k]) query.set(k, v[k]);
    navigate(`/deliveries${query.size ? `?${query}` : ''}`);
  });

  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  for (const k of FILTERS) if (chosen[k]) query.set(k, chosen[k]);
  if (params.get('cursor')) query.set('cursor', params.get('cursor'));
  let content;
  try {
    const body = await api(`/v1/deliveries?${query}`);
    content = [
      deliveriesTable(body.deliveries, caption(chosen, connections, Boolean(params.get('cursor')))),
      pager(chosen, body.next_cursor, Boolean(params.get('cursor'))),
    ];
  } catch (error) {
    content = errorNotice(error);
  }
  mount(root, pageHeading('Deliveries'), form, content);
}

function filterForm(connections, chosen) {
  const any = (label, entries) => [['', label], ...entries];
  return h(
    'form',
    { class: 'filters', 'aria-label': 'Choose deliveries' },
    field(
      'Connection',
      select(
        'connection_id',
        any(
          'All connections',
          connections.map((c) => [c.id, c.name]),
        ),
        chosen.connection_id,
      ),
    ),
    field('Status', select('status', any('Any status', Object.entries(STATUS_WORDS)), chosen.status)),
    field(
      'What was sent',
      select('operation', any('Anything', Object.entries(OPERATION_WORDS)), chosen.operation),
    ),
    field('Flag', select('flag', any('Any or none', Object.entries(FLAG_WORDS)), chosen.flag)),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, 'Show')),
  );
}

function caption(chosen, connections, older) {
  const parts = [];
  if (chosen.status) parts.push(words(STATUS_WORDS, chosen.status).toLowerCase());
  if (chosen.operation) parts.push(words(OPERATION_WORDS, chosen.operation).toLowerCase());
  if (chosen.flag) parts.push(`flagged “${words(FLAG_WORDS, chosen.flag)}”`);
  const to = chosen.connection_id
    ? (connections.find((c) => c.id === chosen.connection_id)?.name ?? 'this connection')
    : 'all connections';
  return `${older ? 'Older deliveries' : 'Deliveries, newest first'} to ${to}${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

/** Links to the next (older) page and back to the newest; keyset paging has no page numbers. */
function pager(chosen, nextCursor, older) {
  const base = new URLSearchParams();
  for (const [k, v] of Object.entries(chosen)) if (v) base.set(k, v);
  const newest = `/console/deliveries${base.size ? `?${base}` : ''}`;
  const next = new URLSearchParams(base);
  if (nextCursor) next.set('cursor', nextCursor);
  if (!older && !nextCursor) return null;
  return h(
    'nav',
    { class: 'pager', 'aria-label': 'More deliveries' },
    older ? link(newest, 'Newest deliveries') : null,
    older && nextCursor ? ' · ' : null,
    nextCursor ? link(`/console/deliveries?${next}`, `Older deliveries`) : null,
  );
}

/** The person: a masked identifier (a link to their page for roles that may look people up). */
export function personCell(d) {
  const label = d.subject_masked ?? 'No identifier held (forgotten)';
  // Non-breaking spaces keep a masked number on one line in a narrow column.
  const shown = d.subject_masked ? label.replace(/ /g, '\u00a0') : label;
  return can('subjects:read')
    ? link(`/console/people?subject_id=${d.subject_id}`, shown, { 'aria-label': `Person ${label}` })
    : shown;
}

/** Status in words, with why it was skipped or failed. */
export function statusCell(d) {
  return h(
    'span',
    { 'data-status': d.status },
    statusBadge(d.status),
    d.reason ? h('span', { class: 'muted' }, ` ${words(REASON_WORDS, d.reason)}`) : null,
  );
}

/** Why a retry would not help, briefly (the delivery's page says it in full). */
const RETRY_SHORT = {
  waits_for_record: 'No retry needed: sent again when a record appears.',
  waits_for_dpa: 'No retry needed: goes out once the DPA is valid.',
};

/**
 * A retry button where a retry can help; where it cannot, why, in words (nothing for deliveries on their way).
 * `brief`: the short reason, for a table cell.
 */
export function retryControl(d, onRetried, { brief = false } = {}) {
  if (!d.retryable) {
    const why = (brief ? RETRY_SHORT : RETRY_WORDS)[d.retry_refusal];
    return d.retry_refusal === 'waits_for_record' || d.retry_refusal === 'waits_for_dpa'
      ? h('span', { class: 'muted' }, why)
      : null;
  }
  if (!can('deliveries:retry')) return null;
  const button = h(
    'button',
    { type: 'button', class: 'btn btn-small', 'aria-label': `Retry the delivery to ${d.connection_name}` },
    'Retry',
  );
  button.addEventListener('click', () =>
    busy(button, async () => {
      try {
        await api(`/v1/deliveries/${d.id}/retry`, { method: 'POST' });
        flash('Delivery queued again.');
        onRetried?.(button);
      } catch (error) {
        flash(
          error instanceof ApiError && error.status === 403 ? forbiddenMessage(error) : error.message,
          'error',
        );
      }
    }),
  );
  return button;
}

/** A table of deliveries: who, where, what, flags, how it ended, when; each opens its own page. */
export function deliveriesTable(deliveries, captionText) {
  const retried = (button) => {
    const cell = button.closest('tr')?.querySelector('[data-status]');
    if (cell) mount(cell, statusBadge('pending'));
    button.remove();
  };
  return table(
    `${captionText} (${deliveries.length} shown)`,
    ['When', 'Person', 'Connection', 'What was sent', 'Flags', 'Status', 'Attempts', 'Details', 'Retry'],
    deliveries.map((d) => [
      timeWithSeconds(d.created_at),
      personCell(d),
      d.connection_name ?? 'Removed connection',
      words(DIRECTION_WORDS, d.direction),
      d.flags.length
        ? h(
            'span',
            null,
            d.flags.map((f) => h('span', { class: 'badge badge-warn' }, words(FLAG_WORDS, f))),
          )
        : '—',
      statusCell(d),
      String(d.attempts),
      link(`/console/deliveries/${d.id}`, 'Open', {
        'aria-label': `Open the delivery to ${d.connection_name ?? 'a removed connection'} for ${d.subject_masked ?? 'a forgotten person'}`,
      }),
      retryControl(d, retried, { brief: true }),
    ]),
    { class: 'deliveries-table' },
  );
}
