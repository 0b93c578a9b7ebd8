// Vendor detail: its facts (edited in place, flagged while role or country is missing), the governing DPA
// and its Art. 28(3) checklist, the version history, sub-processors, connections and delivery statistics,
// and archiving. The DPA parts live in vendor-dpas.js; the edit form and archiving in vendor-edit.js; the
// sub-processors in vendor-subs.js.
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
import { dpaBadge } from './vendors.js';
import { dpaForm, dpaHistory, dpaSection } from './vendor-dpas.js';
import { archiveSection, vendorEditForm } from './vendor-edit.js';
import { subProcessorsSection } from './vendor-subs.js';
import {
  countryName,
  incompleteBadge,
  missingText,
  RISK_LABELS,
  ROLE_LABELS,
  transferText,
} from './registry-labels.js';

const CONNECTION_TYPES = { hubspot: 'HubSpot', salesforce: 'Salesforce', webhook: 'Webhook processor' };
const CONNECTION_STATUSES = {
  active: 'Active',
  paused: 'Paused',
  auth_failed: 'Sign-in failed',
  disconnected: 'Disconnected',
};

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
  const reload = () => navigate(`/vendors/${vendor.id}`, { replace: true });

  mount(
    root,
    h('p', { class: 'breadcrumb' }, link('/console/vendors', 'Vendors'), ' / '),
    pageHeading(vendor.name, dpaBadge(vendor), incompleteBadge(vendor)),
    vendor.archived_at
      ? h(
          'div',
          { class: 'notice notice-warn' },
          `Archived on ${formatDate(vendor.archived_at, false)}: hidden from the vendors list.`,
        )
      : null,
    factsSection(vendor, reload),
    dpaSection(current, { canWrite: can('registry:write'), navigate, vendorId: vendor.id }),
    dpaHistory(dpas),
    subProcessorsSection(vendor, { canWrite: can('registry:write'), onChanged: reload }),
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
            CONNECTION_TYPES[c.type] ?? humanize(c.type),
            badge(c.status, CONNECTION_STATUSES[c.status]),
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
    can('registry:write') ? archiveSection(vendor, { onChanged: reload }) : null,
  );
}

function fact(term, value) {
  return [
    h('dt', null, term),
    h('dd', null, value === null || value === undefined || value === '' ? '—' : value),
  ];
}

/** The vendor's facts, with a flag when role or country is missing and (registry:write) an edit form. */
function factsSection(vendor, reload) {
  const canWrite = can('registry:write');
  const body = h('div');
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'facts-title' },
    h('h2', { id: 'facts-title' }, 'Facts'),
    body,
  );
  const edit = () => {
    const form = vendorEditForm(vendor, { onSaved: reload, onCancel: show });
    mount(body, form);
    form.querySelector('input')?.focus();
  };
  const editButton = (label) =>
    canWrite ? h('button', { type: 'button', class: 'btn btn-small', onclick: edit }, label) : null;
  function show() {
    mount(
      body,
      vendor.missing_facts?.length
        ? h(
            'div',
            { class: 'notice notice-warn' },
            `Incomplete: the ${missingText(vendor.missing_facts)} ${vendor.missing_facts.length > 1 ? 'are' : 'is'} not recorded. The record of processing activities needs both. `,
            editButton('Fill them in'),
          )
        : null,
      h(
        'dl',
        { class: 'facts' },
        fact('Legal name', vendor.legal_name),
        fact('Role', ROLE_LABELS[vendor.role] ?? null),
        fact('Country', vendor.country ? countryName(vendor.country) : null),
        fact(
          'Website',
          vendor.website
            ? h('a', { href: vendor.website, rel: 'noopener noreferrer', target: '_blank' }, vendor.website)
            : null,
        ),
        fact('Privacy contact', vendor.privacy_contact_email),
        fact('Risk tier', RISK_LABELS[vendor.risk_tier] ?? null),
        fact('Owner', vendor.owner),
        fact('Next review', formatDate(vendor.next_review_at, false)),
        fact('Services', list(vendor.services)),
        fact('Categories of data', list(vendor.data_categories)),
        fact('Categories of people', list(vendor.data_subject_categories)),
        fact('Purposes', list(vendor.purposes)),
        fact(
          'Transfers outside the EEA',
          (vendor.transfers ?? []).length
            ? h(
                'ul',
                { class: 'plain-list' },
                vendor.transfers.map((t) => h('li', null, transferText(t))),
              )
            : 'None recorded',
        ),
        fact('Notes', vendor.notes),
      ),
      h(
        'p',
        { class: 'form-actions' },
        editButton('Edit facts'),
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
    );
  }
  show();
  return section;
}
