// Overview: consent in force, withdrawals today, data-subject requests due soon or overdue, propagation
// health per connection, DPAs needing attention, the last 14 days of consent events, and the retention
// erasures coming up.
import { api, badge, can, errorNotice, formatDate, h, humanize, link, mount, pageHeading } from '../lib.js';
import { dailyBars } from './charts.js';
import { DPA_LABELS } from './vendors.js';
import { incompleteReasons } from './vendor-dpas.js';
import { requestPanels } from './overview-requests.js';
import { healthSection } from './overview-health.js';
import { appendOverviewCharts } from './overview-charts.js';
import { controllerWarning } from './overview-settings.js';
import { registryNotice } from './overview-registry.js';

export async function renderOverview(root) {
  mount(root, pageHeading('Overview'), h('p', { class: 'muted' }, 'Loading…'));
  const [overview, attention, requests] = await Promise.allSettled([
    api('/v1/overview'),
    can('registry:read') ? api('/v1/registry/attention') : Promise.resolve(null),
    can('requests:read') ? requestPanels() : Promise.resolve(null),
  ]);
  // requestPanels settles every call of its own: it only rejects on a bug.
  const panels = requests.status === 'fulfilled' ? requests.value : null;
  const parts = [pageHeading('Overview'), await controllerWarning()];
  parts.push(registryNotice());
  if (overview.status === 'rejected') {
    parts.push(errorNotice(overview.reason), panels?.requests);
  } else {
    const o = overview.value;
    parts.push(
      h(
        'section',
        { class: 'stats', 'aria-label': 'Consent totals' },
        stat('Consents granted', o.consent.granted, people(o.consent.subjects_granted)),
        stat('Consents withdrawn', o.consent.withdrawn, people(o.consent.subjects_withdrawn)),
        stat('Withdrawals today', o.withdrawals_today, 'UTC day'),
        stat(
          'Dead deliveries',
          o.connections.reduce((s, c) => s + c.deliveries.dead, 0),
          `last ${o.health_days ?? 30} days, need a look`,
          o.connections.some((c) => c.deliveries.dead > 0) ? 'bad' : null,
        ),
      ),
      panels?.requests,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'events-title' },
        h('h2', { id: 'events-title' }, 'Consent events, last 14 days'),
        dailyBars(o.events_per_day, 'Consent events per day'),
      ),
      healthSection(o.connections),
    );
  }
  if (attention.status === 'rejected') {
    parts.push(
      h('section', { class: 'card' }, h('h2', null, 'Needs attention'), errorNotice(attention.reason)),
    );
  } else if (attention.value) {
    parts.push(renderAttention(attention.value));
  }
  if (panels) parts.push(panels.retention);
  else if (requests.status === 'rejected') parts.push(errorNotice(requests.reason));
  mount(root, parts);
  void appendOverviewCharts(root);
}

const people = (n) => (n === 1 ? '1 person' : `${n} people`);

function stat(label, value, note, tone) {
  return h(
    'div',
    { class: `stat${tone ? ` stat-${tone}` : ''}` },
    h('p', { class: 'stat-label' }, label),
    h('p', { class: 'stat-value' }, String(value)),
    note ? h('p', { class: 'stat-note' }, note) : null,
  );
}

const ATTENTION_TITLES = {
  expiring: 'DPAs expiring',
  expiring_30: 'DPAs expiring within 30 days',
  expiring_60: 'DPAs expiring within 60 days',
  expiring_90: 'DPAs expiring within 90 days',
  within_30_days: 'DPAs expiring within 30 days',
  within_60_days: 'DPAs expiring within 60 days',
  within_90_days: 'DPAs expiring within 90 days',
  dpas_incomplete: 'DPAs recorded as signed but incomplete (they do not count)',
  sub_processors_incomplete: 'Sub-processors without their own record (DPA or role missing)',
  connections_without_valid_dpa: 'Vendors with connections but no valid DPA',
  vendors_without_valid_dpa: 'Vendors with connections but no valid DPA',
  missing_dpa: 'Vendors with connections but no valid DPA',
  reviews_overdue: 'Reviews overdue',
  review_overdue: 'Reviews overdue',
  sub_processors_without_record: 'Sub-processors without their own record',
  unrecorded_sub_processors: 'Sub-processors without their own record',
};

/** What needs the DPO: each list of the attention report, whatever its grouping. */
export function renderAttention(report) {
  const groups = [];
  const walk = (key, value, depth) => {
    if (Array.isArray(value)) groups.push({ key, items: value, depth });
    else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) walk(k, v, depth + 1);
  };
  for (const [k, v] of Object.entries(report)) walk(k, v, 0);
  const total = groups.reduce((s, g) => s + g.items.length, 0);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'attention-title' },
    h(
      'h2',
      { id: 'attention-title' },
      'DPAs and vendors needing attention',
      ' ',
      badge(total ? 'expiring' : 'valid', String(total)),
    ),
    total === 0
      ? h(
          'p',
          { class: 'muted' },
          'Nothing needs attention: every connected vendor has a valid DPA and no review is overdue.',
        )
      : groups
          .filter((g) => g.items.length)
          .map((g) =>
            h(
              'div',
              { class: 'attention-group' },
              h('h3', null, ATTENTION_TITLES[g.key] ?? humanize(g.key), ` (${g.items.length})`),
              h('ul', { class: 'plain-list' }, g.items.map(attentionItem)),
            ),
          ),
  );
}

function attentionItem(item) {
  if (typeof item !== 'object' || item === null) return h('li', null, String(item));
  const vendorId = item.vendor_id ?? (item.vendor && item.vendor.id) ?? item.id;
  const name =
    item.vendor_name ?? (item.vendor && item.vendor.name) ?? item.name ?? item.sub_processor_name ?? vendorId;
  const details = [];
  if (item.expires_at) details.push(`expires ${formatDate(item.expires_at, false)}`);
  if (item.days_left !== undefined) details.push(`${item.days_left} days left`);
  if (item.due)
    details.push(
      `${item.kind === 'dpa' ? `DPA v${item.version} review` : 'vendor review'} was due ${formatDate(item.due, false)}`,
    );
  if (item.incomplete) details.push(`DPA v${item.version}: ${incompleteReasons(item).join('; ')}`);
  if (item.missing) details.push(`missing ${item.missing.join(' and ')}`);
  if (item.processor_of) details.push(`sub-processor of ${item.processor_of.join(', ')}`);
  if (item.held_deliveries) details.push(`${item.held_deliveries} deliveries held`);
  if (item.dpa_status) details.push(DPA_LABELS[item.dpa_status] ?? `DPA ${humanize(item.dpa_status)}`);
  if (item.reason) details.push(humanize(item.reason));
  if (item.connections !== undefined)
    details.push(
      `${Array.isArray(item.connections) ? item.connections.length : item.connections} connection(s)`,
    );
  return h(
    'li',
    null,
    vendorId && can('registry:read') ? link(`/console/vendors/${vendorId}`, String(name)) : String(name),
    details.length ? h('span', { class: 'muted' }, ` — ${details.join(', ')}`) : null,
  );
}
