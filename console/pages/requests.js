// Requests: the inbox of data-subject requests (Art. 15-21) with their deadline countdowns, quick filters
// (overdue, due this week, waiting on processors, identity verification) and filters by type and status;
// a DPO records a request received by email, letter or phone with the form below the list.
import {
  api,
  can,
  errorNotice,
  field,
  formatDate,
  formValues,
  h,
  humanize,
  link,
  mount,
  pageHeading,
  select,
  table,
  badge,
  busy,
} from '../lib.js';
import { CLOSED_REQUEST_STATUSES, deadlineBadge } from './request-deadline.js';
import { recordRequestForm } from './request-form.js';

const REQUEST_TYPES = ['access', 'erasure', 'rectification', 'restriction', 'objection'];
const REQUEST_STATUSES = [
  'received',
  'identity_verification',
  'in_progress',
  'waiting_on_processors',
  'completed',
  'denied',
  'cancelled',
];
export const TYPE_LABELS = {
  access: 'Access',
  erasure: 'Erasure',
  rectification: 'Rectification',
  restriction: 'Restriction',
  objection: 'Objection',
};

/** The quick views: each a query of GET /v1/requests (due this week is computed when asked). */
const VIEWS = [
  ['', 'All requests'],
  ['overdue', 'Overdue'],
  ['due_week', 'Due this week'],
  ['waiting', 'Waiting on processors'],
  ['verification', 'Identity verification'],
];
const PAGE = 50;

function query(view, type, status, cursor) {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (view === 'overdue') q.set('overdue', 'true');
  if (view === 'due_week') {
    q.set('overdue', 'false');
    q.set('due_before', new Date(Date.now() + 7 * 86_400_000).toISOString());
  }
  if (view === 'waiting') q.set('status', 'waiting_on_processors');
  if (view === 'verification') q.set('status', 'identity_verification');
  if (type) q.set('type', type);
  if (status && !q.has('status')) q.set('status', status);
  if (cursor) q.set('cursor', cursor);
  return q;
}

export async function renderRequests(root, { params, navigate, isCurrent }) {
  const view = VIEWS.some(([v]) => v === params.get('view')) ? (params.get('view') ?? '') : '';
  const type = REQUEST_TYPES.includes(params.get('type')) ? params.get('type') : '';
  const status = REQUEST_STATUSES.includes(params.get('status')) ? params.get('status') : '';
  // A button, not a #fragment link: the console's router would treat the link as a navigation.
  const recordLink = can('requests:write')
    ? h(
        'button',
        {
          type: 'button',
          class: 'btn btn-primary',
          onclick: () => {
            const title = document.getElementById('record-title');
            title?.scrollIntoView({ block: 'start' });
            title?.focus({ preventScroll: true });
          },
        },
        'Record a request',
      )
    : null;
  mount(root, pageHeading('Requests', recordLink), h('p', { class: 'muted' }, 'Loading…'));
  const [summary, list] = await Promise.allSettled([
    api('/v1/requests/summary'),
    api(`/v1/requests?${query(view, type, status)}`),
  ]);
  if (!isCurrent()) return;
  const filters = filterForm({ view, type, status }, navigate);
  const caption = `${VIEWS.find(([v]) => v === view)[1]}${type ? `, ${TYPE_LABELS[type]}` : ''}${status && view !== 'waiting' && view !== 'verification' ? `, ${humanize(status)}` : ''}`;
  mount(
    root,
    pageHeading('Requests', recordLink),
    summary.status === 'fulfilled' ? summaryStats(summary.value) : errorNotice(summary.reason),
    filters,
    list.status === 'fulfilled'
      ? inbox(
          list.value,
          caption,
          (cursor) => api(`/v1/requests?${query(view, type, status, cursor)}`),
          // A closed request has nothing left to be due: the week's list shows only open ones.
          view === 'due_week' ? (r) => !CLOSED_REQUEST_STATUSES.includes(r.status) : () => true,
        )
      : errorNotice(list.reason),
    can('requests:write') ? recordRequestForm(navigate) : null,
  );
}

/** The counts of GET /v1/requests/summary, each a link to the view it counts. */
function summaryStats(s) {
  const stat = (label, value, href, tone) =>
    h(
      'a',
      { class: `stat stat-link${tone && value > 0 ? ` stat-${tone}` : ''}`, href },
      h('span', { class: 'stat-label' }, label),
      h('span', { class: 'stat-value' }, String(value ?? 0)),
    );
  return h(
    'section',
    { class: 'stats', 'aria-label': 'Requests at a glance' },
    stat('Open', s.open, '/console/requests'),
    stat('Identity verification', s.identity_verification, '/console/requests?view=verification', 'warn'),
    stat('Waiting on processors', s.waiting_on_processors, '/console/requests?view=waiting'),
    stat('Due soon', s.due_soon, '/console/requests?view=due_week', 'warn'),
    stat('Overdue', s.overdue, '/console/requests?view=overdue', 'bad'),
  );
}

function filterForm(current, navigate) {
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter requests' },
    field('Show', select('view', VIEWS, current.view)),
    field(
      'Type',
      select('type', [['', 'Any type'], ...REQUEST_TYPES.map((t) => [t, TYPE_LABELS[t]])], current.type),
    ),
    field(
      'Status',
      select(
        'status',
        [['', 'Any status'], ...REQUEST_STATUSES.map((s) => [s, humanize(s)])],
        current.status,
      ),
    ),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, 'Filter')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = formValues(form);
    const q = new URLSearchParams();
    for (const key of ['view', 'type', 'status']) if (v[key]) q.set(key, v[key]);
    navigate(`/requests${q.size ? `?${q}` : ''}`);
  });
  return form;
}

/** One row per request: what, whose (masked), where it stands, and how long is left. */
function requestRow(r) {
  const row = [
    link(`/console/requests/${r.id}`, `${TYPE_LABELS[r.type] ?? humanize(r.type)} ${r.id.slice(0, 8)}`),
    // No masked identifier: the request matched nobody, or the person has been forgotten.
    r.subject_masked ?? h('span', { class: 'muted' }, '—'),
    h(
      'span',
      null,
      badge(r.status),
      r.status_reason ? h('span', { class: 'muted' }, ` ${humanize(r.status_reason)}`) : null,
    ),
    deadlineBadge(r),
    h('time', { datetime: r.received_at }, formatDate(r.received_at, false)),
    humanize(r.origin),
  ];
  row.rowAttrs = { 'data-request': r.id };
  return row;
}

const HEADERS = ['Request', 'Person', 'Status', 'Deadline', 'Received', 'Origin'];

function inbox(first, caption, more, keep) {
  const wrap = h('section', { class: 'card', 'aria-labelledby': 'inbox-title' });
  const title = h('h2', { id: 'inbox-title' }, 'Inbox');
  const items = first.items.filter(keep);
  let cursor = first.next_cursor;
  const draw = () => {
    const button = cursor ? h('button', { type: 'button', class: 'btn' }, 'Show more') : null;
    button?.addEventListener('click', () =>
      busy(button, async () => {
        try {
          const next = await more(cursor);
          items.push(...next.items.filter(keep));
          cursor = next.next_cursor;
          draw();
        } catch (error) {
          button.after(errorNotice(error));
        }
      }),
    );
    mount(
      wrap,
      title,
      table(`${caption} (${items.length}${cursor ? '+' : ''})`, HEADERS, items.map(requestRow), {
        class: 'requests-table',
      }),
      button,
    );
  };
  draw();
  return wrap;
}
