// Audit log: who did what, when and from where, and what came of it; filters, CSV export, and the
// verification of the hash chain.
import {
  api,
  badge,
  errorNotice,
  field,
  formatDate,
  h,
  label,
  link,
  mount,
  pageHeading,
  select,
  table,
} from '../lib.js';

/** The "what" filter: areas of actions, as the API groups them. */
const AREAS = [
  ['', 'Everything'],
  ['sign_in', 'Sign-ins'],
  ['people', 'Looking at people'],
  ['requests', 'Data-subject requests'],
  ['vendors', 'Vendors and DPAs'],
  ['activities', 'Processing activities'],
  ['connections', 'Connections'],
  ['deliveries', 'Deliveries'],
  ['access', 'Users and API keys'],
  ['settings', 'Settings'],
  ['system', 'Gateway operation'],
];
const OUTCOMES = [
  ['', 'Any outcome'],
  ['success', 'Succeeded'],
  ['failure', 'Refused or failed'],
];
const FILTERS = ['actor', 'area', 'outcome', 'from', 'to'];
const RESULT_TONES = { succeeded: 'succeeded', refused: 'skipped', failed: 'dead' };

/** The API query of the page's filters (dates as the user's calendar days, "to" inclusive). */
function apiQuery(params) {
  const query = new URLSearchParams();
  for (const key of ['actor', 'area', 'outcome', 'before'])
    if (params.get(key)) query.set(key, params.get(key));
  if (params.get('from')) query.set('from', startOfDay(params.get('from')));
  if (params.get('to')) query.set('to', startOfDay(params.get('to'), 1));
  return query;
}

/** The first instant of a calendar day (plus `days`), in the user's time zone, as ISO. */
function startOfDay(value, days = 0) {
  const d = new Date(`${value}T00:00:00`);
  if (Number.isNaN(d.getTime())) return value;
  d.setDate(d.getDate() + days);
  return d.toISOString();
}

export async function renderAudit(root, { params, navigate }) {
  mount(root, pageHeading('Audit log'), h('p', { class: 'muted' }, 'Loading…'));
  const query = apiQuery(params);
  let body;
  try {
    body = await api(`/v1/audit${query.size ? `?${query}` : ''}`);
  } catch (error) {
    mount(root, pageHeading('Audit log'), filterForm(params, navigate), errorNotice(error));
    return;
  }
  const events = body.events ?? [];
  query.delete('before');
  const more = body.next_before
    ? h(
        'p',
        null,
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            onclick: () => {
              const next = new URLSearchParams(params);
              next.set('before', String(body.next_before));
              navigate(`/audit?${next}`);
            },
          },
          'Older entries',
        ),
      )
    : null;
  mount(
    root,
    pageHeading(
      'Audit log',
      link(`/v1/audit/export.csv${query.size ? `?${query}` : ''}`, 'Download CSV', {
        class: 'btn',
        download: true,
      }),
    ),
    chainNotice(body.chain ?? {}),
    filterForm(params, navigate),
    table(
      `Audit entries (${events.length}${body.next_before ? ', newest first; more below' : ''})`,
      ['When', 'Who', 'What', 'Outcome', 'From', 'Details'],
      events.map((e) => [
        h('time', { datetime: e.at }, formatDate(e.at)),
        actorLabel(e.actor),
        e.action_words ?? label('action', e.action),
        badge(RESULT_TONES[e.result] ?? 'neutral', e.result_words ?? label('status', e.outcome)),
        e.ip ?? '—',
        detailsOf(e),
      ]),
      { class: 'audit-table' },
    ),
    more,
  );
}

function chainNotice(chain) {
  return chain.valid
    ? h(
        'div',
        { class: 'notice notice-ok', role: 'status' },
        badge('valid', 'Chain intact'),
        ` Every one of the ${chain.checked ?? 0} entries verified links to the one before it under the chain key. Entries are verified as they arrive; the whole log is walked again daily.`,
      )
    : h(
        'div',
        { class: 'notice notice-error', role: 'alert' },
        badge('dead', 'Chain broken'),
        ` The hash chain does not verify${chain.first_broken_seq ? ` at entry ${chain.first_broken_seq}` : ''} (${chain.checked ?? 0} checked). Entries may have been altered or removed.`,
      );
}

function filterForm(params, navigate) {
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    field(
      'Who',
      h('input', { name: 'actor', value: params.get('actor') ?? '', placeholder: 'email or key name' }),
    ),
    field('What', select('area', AREAS, params.get('area') ?? '')),
    field('Outcome', select('outcome', OUTCOMES, params.get('outcome') ?? '')),
    field('From', h('input', { type: 'date', name: 'from', value: params.get('from') ?? '' })),
    field('To', h('input', { type: 'date', name: 'to', value: params.get('to') ?? '' })),
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Filter'),
      h('a', { href: '/console/audit', class: 'btn btn-quiet' }, 'Clear'),
    ),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    const data = new FormData(form);
    for (const key of FILTERS) {
      const value = String(data.get(key) ?? '').trim();
      if (value) next.set(key, value);
    }
    navigate(`/audit${next.size ? `?${next}` : ''}`);
  });
  return form;
}

/** What an entry holds beyond its row: the fields changed (before → after), the target, the reason. */
function detailsOf(entry) {
  const d = entry.details ?? {};
  const items = [];
  if (entry.target) items.push(['Target', `${label('target', entry.target.type)} ${entry.target.id ?? ''}`]);
  if (typeof d.reason === 'string') items.push(['Reason', label('reason', d.reason)]);
  if (d.locked) items.push(['Account', 'locked after this attempt']);
  if (Array.isArray(d.lookup) && d.lookup.length)
    items.push(['Looked up by', d.lookup.map((k) => label('field', k)).join(', ')]);
  const changes = d.changes && typeof d.changes === 'object' ? Object.entries(d.changes) : [];
  if (!items.length && !changes.length) return '—';
  return h(
    'details',
    null,
    h(
      'summary',
      null,
      changes.length ? `${changes.length} field${changes.length === 1 ? '' : 's'} changed` : 'Show',
    ),
    h(
      'dl',
      { class: 'facts' },
      items.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
      changes.map(([name, change]) => [
        h('dt', null, label('field', name)),
        h('dd', null, `${shown(change.before)} → ${shown(change.after)}`),
      ]),
    ),
  );
}

function shown(value) {
  if (value === null || value === undefined || value === '') return '(empty)';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function actorLabel(actor) {
  if (!actor) return '—';
  if (actor.type === 'anonymous') return 'Not signed in';
  if (actor.type === 'system') return 'The gateway';
  const name = actor.name ?? actor.id ?? '—';
  return actor.type === 'api_key' ? `API key “${name}”` : name;
}
