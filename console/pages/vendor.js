// Vendor detail: the governing DPA and its Art. 28(3) checklist, the version history, sub-processors,
// connections and delivery statistics. The DPA parts live in vendor-dpas.js.
import {
  api,
  badge,
  can,
  errorNotice,
  formatDate,
  h,
  humanize,
  link,
  mount,
  pageHeading,
  table,
} from '../lib.js';
import { splitBar } from './charts.js';
import { DPA_LABELS, dpaBadge } from './vendors.js';
import { dpaForm, dpaHistory, dpaSection } from './vendor-dpas.js';

const list = (xs) => (Array.isArray(xs) && xs.length ? xs.join(', ') : '—');

export async function renderVendor(root, { match, navigate, isCurrent }) {
  const id = match[1];
  mount(root, pageHeading('Vendor'), h('p', { class: 'muted' }, 'Loading…'));
  let vendor;
  try {
    vendor = await api(`/v1/vendors/${encodeURIComponent(id)}`);
  } catch (error) {
    mount(
      root,
      pageHeading('Vendor'),
      errorNotice(error),
      h('p', null, link('/console/vendors', 'Back to vendors')),
    );
    return;
  }
  if (!isCurrent()) return;
  const dpas = vendor.dpa_history ?? [];
  const current = vendor.dpa;
  const myConnections = vendor.connections ?? [];

  mount(
    root,
    h('p', { class: 'breadcrumb' }, link('/console/vendors', 'Vendors'), ' / '),
    pageHeading(vendor.name, dpaBadge(vendor)),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'facts-title' },
      h('h2', { id: 'facts-title' }, 'Facts'),
      h(
        'dl',
        { class: 'facts' },
        fact('Legal name', vendor.legal_name),
        fact('Role', humanize(vendor.role)),
        fact('Country', vendor.country),
        fact(
          'Website',
          vendor.website
            ? h('a', { href: vendor.website, rel: 'noopener noreferrer', target: '_blank' }, vendor.website)
            : null,
        ),
        fact('Privacy contact', vendor.privacy_contact_email),
        fact('Risk tier', humanize(vendor.risk_tier)),
        fact('Owner', vendor.owner),
        fact('Next review', formatDate(vendor.next_review_at, false)),
        fact('Services', list(vendor.services)),
        fact('Data categories', list(vendor.data_categories)),
        fact('Data subjects', list(vendor.data_subject_categories)),
        fact('Purposes', list(vendor.purposes)),
        fact(
          'Transfers',
          (vendor.transfers ?? []).length
            ? vendor.transfers
                .map(
                  (t) =>
                    `${t.country}: ${humanize(t.mechanism)}${t.sccs_module ? ` (module ${t.sccs_module})` : ''}`,
                )
                .join('; ')
            : 'None recorded',
        ),
      ),
      h(
        'p',
        null,
        h(
          'a',
          {
            href: `/v1/vendors/${vendor.id}/evidence-pack`,
            download: `evidence-${vendor.name}.json`,
            class: 'btn btn-small',
          },
          'Download evidence pack',
        ),
      ),
    ),
    dpaSection(current, { canWrite: can('registry:write'), navigate, vendorId: vendor.id }),
    dpaHistory(dpas),
    subProcessors(vendor),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'conn-title' },
      h('h2', { id: 'conn-title' }, 'Connections and deliveries'),
      table(
        'Connections of this vendor and their deliveries',
        [
          'Connection',
          'Type',
          'Status',
          'Deliveries',
          'Succeeded',
          'Pending',
          'Held (no DPA)',
          'Dead',
          'Last success',
        ],
        myConnections.map((c) => {
          const d = c.deliveries ?? {};
          return [
            can('deliveries:read')
              ? link(`/console/deliveries?connection_id=${c.id}&status=`, c.name)
              : c.name,
            humanize(c.type),
            badge(c.status),
            splitBar(
              [
                { label: 'succeeded', value: d.succeeded ?? 0, tone: 'ok' },
                { label: 'pending', value: d.pending ?? 0, tone: 'neutral' },
                { label: 'skipped', value: d.skipped ?? 0, tone: 'skip' },
                { label: 'dead', value: d.dead ?? 0, tone: 'bad' },
              ],
              `Deliveries to ${c.name}`,
            ),
            String(d.succeeded ?? 0),
            String(d.pending ?? 0),
            d.held_dpa_missing ? h('strong', { class: 'text-bad' }, String(d.held_dpa_missing)) : '0',
            d.dead ? h('strong', { class: 'text-bad' }, String(d.dead)) : '0',
            formatDate(d.last_succeeded_at),
          ];
        }),
      ),
    ),
    can('registry:write') ? dpaForm(vendor, navigate) : null,
  );
}

function fact(term, value) {
  return [
    h('dt', null, term),
    h('dd', null, value === null || value === undefined || value === '' ? '—' : value),
  ];
}

function subProcessors(vendor) {
  const subs = vendor.sub_processors ?? [];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'subs-title' },
    h('h2', { id: 'subs-title' }, 'Sub-processors'),
    subs.length
      ? h(
          'ul',
          { class: 'plain-list' },
          subs.map((s) =>
            h(
              'li',
              null,
              link(`/console/vendors/${s.vendor_id}`, s.name),
              s.dpa_status ? [' ', badge(s.dpa_status, DPA_LABELS[s.dpa_status])] : null,
              s.country ? h('span', { class: 'muted' }, ` — ${s.country}`) : null,
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No sub-processors recorded.'),
    (vendor.processor_of ?? []).length
      ? h(
          'p',
          null,
          'Is a sub-processor of ',
          vendor.processor_of.map((p, i) => [i ? ', ' : '', link(`/console/vendors/${p.id}`, p.name)]),
          '.',
        )
      : null,
  );
}
