// One data-subject request: what was asked and by whom (masked), its deadline (original, extended, paused),
// what was done (the timeline), each processor's progress with its proof, the actions its status allows,
// manual tasks to complete with evidence, and the access export to download.
import {
  api,
  badge,
  busy,
  can,
  errorNotice,
  flash,
  formatDate,
  h,
  humanize,
  link,
  mount,
  pageHeading,
  table,
} from '../lib.js';
import { deadlineBadge } from './request-deadline.js';
import { TYPE_LABELS } from './requests.js';
import { requestActions, taskForm } from './request-actions.js';

export async function renderRequest(root, { match, isCurrent }) {
  const id = match[1];
  mount(root, pageHeading('Request'), h('p', { class: 'muted' }, 'Loading…'));
  let view;
  try {
    view = await api(`/v1/requests/${encodeURIComponent(id)}`);
  } catch (error) {
    mount(
      root,
      pageHeading('Request'),
      errorNotice(error),
      h('p', null, link('/console/requests', 'Back to requests')),
    );
    return;
  }
  if (!isCurrent()) return;
  draw(root, view);
}

/** Draws the request; every action answers the new view, drawn in place. */
function draw(root, r) {
  const redraw = (next) => draw(root, next);
  const refresh = h('button', { type: 'button', class: 'btn btn-small' }, 'Refresh');
  refresh.addEventListener('click', () =>
    busy(refresh, async () => {
      try {
        redraw(await api(`/v1/requests/${encodeURIComponent(r.id)}`));
        flash('Request reloaded.');
      } catch (error) {
        flash(error.message, 'error');
      }
    }),
  );
  mount(
    root,
    h('p', { class: 'breadcrumb' }, link('/console/requests', 'Requests'), ' / '),
    pageHeading(
      `${TYPE_LABELS[r.type] ?? humanize(r.type)} request`,
      badge(r.status),
      deadlineBadge(r),
      refresh,
    ),
    h('div', { class: 'grid-2' }, summaryCard(r), deadlineCard(r)),
    requestActions(r, redraw),
    processorsCard(r, redraw),
    r.export_available ? exportCard(r) : null,
    historyCard(r),
  );
}

function fact(term, value) {
  return [
    h('dt', null, term),
    h('dd', null, value === null || value === undefined || value === '' ? '—' : value),
  ];
}

function summaryCard(r) {
  // No masked identifier for a matched person: the gateway has forgotten every identifier of theirs.
  const person =
    r.subject_masked ??
    (r.matched === false ? 'Matches nobody we hold' : r.subject_id ? 'No identifier kept (erased)' : null);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'summary-title' },
    h('h2', { id: 'summary-title' }, 'Summary'),
    h(
      'dl',
      { class: 'facts' },
      fact('Request', h('code', null, r.id)),
      fact('Type', TYPE_LABELS[r.type] ?? humanize(r.type)),
      fact(
        'Status',
        h(
          'span',
          null,
          badge(r.status),
          r.status_reason ? h('span', { class: 'muted' }, ` ${humanize(r.status_reason)}`) : null,
        ),
      ),
      fact(
        'Person',
        r.subject_id && can('subjects:read')
          ? h('span', null, person ?? '', ' ', link(`/console/people?subject_id=${r.subject_id}`, 'Look up'))
          : person,
      ),
      fact('Received', formatDate(r.received_at)),
      fact('Origin', humanize(r.origin)),
      fact('Received through', humanize(r.source)),
      fact(
        'Identity',
        r.verification
          ? `Verified by ${humanize(r.verification.method)}${r.verification.verified_by ? ` (${r.verification.verified_by})` : ''} on ${formatDate(r.verification.verified_at)}${r.verification.note ? `: ${r.verification.note}` : ''}`
          : 'Not verified',
      ),
      r.type === 'restriction'
        ? fact('Asks to', r.lift ? 'Lift the restriction' : 'Restrict processing')
        : null,
      r.changes_masked
        ? fact(
            'Corrections',
            Object.entries(r.changes_masked)
              .map(([k, v]) => `${humanize(k)} → ${v}`)
              .join('; '),
          )
        : null,
      r.denial_reason ? fact('Denied because', r.denial_reason) : null,
      r.cancel_reason ? fact('Cancelled because', r.cancel_reason) : null,
      r.duplicate_of
        ? fact('Duplicate of', link(`/console/requests/${r.duplicate_of}`, r.duplicate_of.slice(0, 8)))
        : null,
      r.created_by ? fact('Recorded by', r.created_by) : null,
      r.completed_at ? fact('Completed', formatDate(r.completed_at)) : null,
    ),
  );
}

function deadlineCard(r) {
  const extension = r.extension;
  const pauses = r.pauses ?? [];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'deadline-title' },
    h('h2', { id: 'deadline-title' }, 'Deadline'),
    h('p', { class: 'deadline-big' }, deadlineBadge(r, { withDate: false })),
    h(
      'dl',
      { class: 'facts' },
      fact('Due', formatDate(r.due_at)),
      fact('One month from receipt', formatDate(r.original_due_at)),
      fact(
        'Extension',
        extension
          ? `${extension.months} month${extension.months === 1 ? '' : 's'} on ${formatDate(extension.extended_at, false)}: ${extension.reason}; the person was told on ${formatDate(extension.subject_notified_at, false)}`
          : 'None',
      ),
      fact(
        'Clock paused',
        pauses.length
          ? h(
              'ul',
              { class: 'plain-list' },
              pauses.map((p) =>
                h(
                  'li',
                  null,
                  `${formatDate(p.from)} – ${p.to ? formatDate(p.to) : 'now'}`,
                  p.reason ? h('span', { class: 'muted' }, `: ${p.reason}`) : null,
                ),
              ),
            )
          : 'Never',
      ),
    ),
  );
}

const FLAG_LABELS = {
  dpa_missing: 'No valid DPA: sent anyway',
  acknowledged_not_confirmed: 'Acknowledged, not confirmed',
  record_came_back: 'Record came back',
};
const FLAG_TONES = { dpa_missing: 'missing', acknowledged_not_confirmed: 'expiring' };

function processorName(p) {
  if (p.connection_name) return p.connection_name;
  if (p.vendor_name) return p.vendor_name;
  return p.kind === 'manual' ? 'Manual task' : '—';
}

function processorsCard(r, redraw) {
  const processors = r.processors ?? [];
  const tasks = processors.filter((p) => p.kind === 'manual' && p.task_id && !TASK_DONE.includes(p.status));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'processors-title' },
    h('h2', { id: 'processors-title' }, 'Processors'),
    h(
      'p',
      { class: 'muted' },
      'Every processor that holds or may hold the person is told (Art. 19), each with its own proof.',
    ),
    table(
      `Progress at each processor (${processors.length})`,
      ['Processor', 'Operation', 'Status', 'Attempts', 'Updated', 'Completed', 'Reference', 'Proof'],
      processors.map((p) => {
        const row = [
          h(
            'span',
            null,
            processorName(p),
            p.vendor_name && p.connection_name ? h('span', { class: 'muted' }, ` (${p.vendor_name})`) : null,
            p.kind === 'manual' ? [' ', badge('neutral', 'manual')] : null,
          ),
          humanize(p.operation),
          h(
            'span',
            { class: 'processor-status' },
            badge(p.status),
            p.reason ? h('span', { class: 'muted' }, ` ${humanize(p.reason)}`) : null,
            (p.flags ?? []).map((f) => [
              ' ',
              badge(FLAG_TONES[f] ?? 'neutral', FLAG_LABELS[f] ?? humanize(f)),
            ]),
          ),
          String(p.attempts ?? 0),
          formatDate(p.updated_at),
          formatDate(p.completed_at),
          p.vendor_reference ? h('code', null, p.vendor_reference) : '—',
          evidence(p.evidence),
        ];
        row.rowAttrs = { 'data-processor': p.delivery_id ?? p.task_id ?? '' };
        return row;
      }),
      { class: 'processors-table' },
    ),
    tasks.map((t) => taskForm(r, t, processorName(t), redraw)),
  );
}

/** Task statuses after which there is nothing left to complete. */
const TASK_DONE = ['completed', 'succeeded', 'done', 'skipped', 'cancelled'];

function evidence(value) {
  if (!value || (typeof value === 'object' && Object.keys(value).length === 0)) return '—';
  return h(
    'details',
    null,
    h('summary', null, 'Evidence'),
    h('pre', { class: 'mono' }, JSON.stringify(value, null, 2)),
  );
}

function exportCard(r) {
  const base = `/v1/requests/${r.id}/export`;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'export-title' },
    h('h2', { id: 'export-title' }, 'Access export'),
    h(
      'p',
      { class: 'muted' },
      'Everything the gateway and the connected CRMs hold on the person. Each download is written to the audit log.',
    ),
    h(
      'p',
      { class: 'export-links' },
      h('a', { class: 'btn', href: `${base}?format=json`, download: true }, 'Download export (JSON)'),
      h(
        'a',
        { class: 'btn', href: `${base}?format=html`, target: '_blank', rel: 'noopener noreferrer' },
        'Open printable report (HTML)',
      ),
    ),
  );
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

function detailValue(v) {
  if (typeof v === 'object') return JSON.stringify(v);
  if (typeof v === 'string' && ISO_INSTANT.test(v)) return formatDate(v);
  return String(v);
}

function historyDetail(detail) {
  if (detail === null || detail === undefined || detail === '') return null;
  if (typeof detail !== 'object') return String(detail);
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${humanize(k)}: ${detailValue(v)}`)
    .join('; ');
}

function historyCard(r) {
  // Newest first; entries of the same instant keep the API's order, read backwards.
  const history = [...(r.history ?? [])].reverse().sort((a, b) => String(b.at).localeCompare(String(a.at)));
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title' }, 'Timeline'),
    history.length
      ? h(
          'ol',
          { class: 'timeline', 'aria-label': 'What happened, newest first' },
          history.map((e) => {
            const detail = historyDetail(e.detail);
            return h(
              'li',
              null,
              h(
                'p',
                { class: 'timeline-head' },
                h('time', { datetime: e.at }, formatDate(e.at)),
                ' ',
                h('strong', null, humanize(e.action)),
                e.actor ? h('span', { class: 'muted' }, ` by ${humanize(e.actor)}`) : null,
              ),
              detail ? h('p', null, detail) : null,
            );
          }),
        )
      : h('p', { class: 'muted' }, 'Nothing has happened yet.'),
  );
}
