// Vendors: the registry with DPA status badges, filters (archived vendors hidden unless asked), a flag
// on incomplete vendors, a form to add a vendor, and the exports.
import {
  api,
  badge,
  busy,
  can,
  clearErrors,
  errorNotice,
  errorSummary,
  field,
  flash,
  formatDate,
  formValues,
  h,
  humanize,
  link,
  mount,
  pageHeading,
  select,
  showErrors,
  table,
} from '../lib.js';

import {
  countryName,
  countrySelect,
  fieldProblems,
  incompleteBadge,
  listOf,
  optionsOf,
  RISK_LABELS,
  ROLE_LABELS,
  ROLE_NAMES,
} from './registry-labels.js';
import { vendorProblems } from './vendor-edit.js';

const ARCHIVED_FILTERS = [
  ['', 'In use'],
  ['only', 'Archived'],
  ['include', 'All'],
];
const DPA_FILTERS = [
  'signed',
  'incomplete',
  'none',
  'draft',
  'in_negotiation',
  'expired',
  'terminated',
  'not_required',
  'not_yet_effective',
];

export const DPA_LABELS = {
  signed: 'DPA signed',
  incomplete: 'DPA incomplete',
  none: 'No DPA',
  draft: 'DPA draft',
  in_negotiation: 'DPA in negotiation',
  expired: 'DPA expired',
  terminated: 'DPA terminated',
  not_required: 'DPA not required',
  not_yet_effective: 'DPA not yet effective',
};

/** The badge colour of a DPA status where the status name has none of its own (an incomplete DPA is red). */
const DPA_TONES = { incomplete: 'missing' };
/** The "DPA" filter's extra choice: valid agreements that expire within 30 days (the API's dpa_expiring). */
const EXPIRING_SOON = 'expiring_soon';

/** A DPA status as a badge, in words. */
export function dpaStatusBadge(status) {
  return badge(DPA_TONES[status] ?? status, DPA_LABELS[status] ?? humanize(status));
}

/** The amber badge of a valid agreement close to its end. */
export function expiresBadge(days) {
  return badge(
    'expiring',
    days === 0 ? 'DPA expires today' : `DPA expires in ${days} day${days === 1 ? '' : 's'}`,
  );
}

/** The vendor's DPA badge: valid (amber when it expires within 30 days), or why not. */
export function dpaBadge(vendor) {
  const days = vendor.dpa_expires_in_days;
  if (days !== null && days !== undefined) return expiresBadge(days);
  return dpaStatusBadge(vendor.dpa_status ?? 'none');
}

export async function renderVendors(root, { params, navigate }) {
  const filters = {
    q: params.get('q') ?? '',
    role: params.get('role') ?? '',
    risk_tier: params.get('risk_tier') ?? '',
    dpa_status: params.get('dpa_status') ?? '',
    has_connections: params.get('has_connections') ?? '',
    archived: params.get('archived') ?? '',
  };
  const query = new URLSearchParams(Object.entries(filters).filter(([, v]) => v !== ''));
  if (filters.dpa_status === EXPIRING_SOON) {
    query.delete('dpa_status');
    query.set('dpa_expiring', 'true');
  }
  const exports = h(
    'div',
    { class: 'export-links', role: 'group', 'aria-label': 'Exports' },
    h('span', { class: 'muted' }, 'Export: '),
    h('a', { href: '/v1/exports/ropa.csv', download: 'ropa.csv', class: 'btn btn-small' }, 'ROPA (CSV)'),
    h('a', { href: '/v1/exports/ropa.json', download: 'ropa.json', class: 'btn btn-small' }, 'ROPA (JSON)'),
    h(
      'a',
      { href: '/v1/exports/vendors.csv', download: 'vendors.csv', class: 'btn btn-small' },
      'Vendor registry (CSV)',
    ),
    link('/console/activities', 'Processing activities', { class: 'btn btn-small' }),
  );
  mount(root, pageHeading('Vendors', exports), h('p', { class: 'muted' }, 'Loading…'));

  const filterForm = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter vendors' },
    field(
      'Search',
      h('input', { type: 'search', name: 'q', value: filters.q, placeholder: 'Name or legal name' }),
    ),
    field(
      'DPA',
      select(
        'dpa_status',
        [
          ['', 'Any'],
          [EXPIRING_SOON, 'DPA expiring within 30 days'],
          ...DPA_FILTERS.map((s) => [s, DPA_LABELS[s]]),
        ],
        filters.dpa_status,
      ),
    ),
    field('Role', select('role', [['', 'Any'], ...optionsOf(ROLE_NAMES)], filters.role)),
    field('Risk', select('risk_tier', [['', 'Any'], ...optionsOf(RISK_LABELS)], filters.risk_tier)),
    field(
      'Connections',
      select(
        'has_connections',
        [
          ['', 'Any'],
          ['true', 'With connections'],
          ['false', 'Without'],
        ],
        filters.has_connections,
      ),
    ),
    field('Show', select('archived', ARCHIVED_FILTERS, filters.archived)),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, 'Apply filters')),
  );
  filterForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const values = new URLSearchParams(Object.entries(formValues(filterForm)));
    navigate(`/vendors${values.size ? `?${values}` : ''}`);
  });

  let content;
  try {
    const body = await api(`/v1/vendors${query.size ? `?${query}` : ''}`);
    const vendors = body.vendors ?? [];
    content = table(
      `Vendors (${vendors.length})`,
      ['Vendor', 'DPA', 'Role', 'Country', 'Risk', 'Connections', 'Next review'],
      vendors.map((v) => [
        h(
          'span',
          null,
          link(`/console/vendors/${v.id}`, v.name),
          v.archived_at ? [' ', h('span', { class: 'badge badge-neutral' }, 'Archived')] : null,
          v.missing_facts?.length ? [' ', incompleteBadge(v)] : null,
        ),
        dpaBadge(v),
        ROLE_NAMES[v.role] ?? '—',
        v.country ? countryName(v.country) : '—',
        v.risk_tier
          ? badge(
              v.risk_tier === 'high' ? 'dead' : v.risk_tier === 'medium' ? 'retrying' : 'valid',
              RISK_LABELS[v.risk_tier],
            )
          : '—',
        String(v.connection_count ?? 0),
        formatDate(v.next_review_at, false),
      ]),
      { class: 'vendors-table' },
    );
  } catch (error) {
    content = errorNotice(error);
  }
  mount(
    root,
    pageHeading('Vendors', exports),
    filterForm,
    content,
    can('registry:write') ? vendorForm(navigate) : null,
  );
}

function vendorForm(navigate) {
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add vendor');
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'new-vendor-title' },
    h('h2', { id: 'new-vendor-title' }, 'Add a vendor'),
    errorSummary(),
    h(
      'div',
      { class: 'grid-2' },
      field('Name', h('input', { name: 'name', required: true, maxlength: '200' })),
      field('Legal name', h('input', { name: 'legal_name' })),
      field('Country of establishment', countrySelect('country', '')),
      field('Website', h('input', { name: 'website', type: 'url', placeholder: 'https://' })),
      field(
        'Privacy contact email',
        h('input', { name: 'privacy_contact_email', type: 'email' }),
        'Receives Art. 19 notices',
      ),
      field('Role', select('role', [['', 'Not recorded'], ...optionsOf(ROLE_LABELS)], 'processor')),
      field('Risk tier', select('risk_tier', [['', 'Not assessed'], ...optionsOf(RISK_LABELS)], '')),
      field('Owner', h('input', { name: 'owner' })),
      field('Next review', h('input', { name: 'next_review_at', type: 'date' })),
      field(
        'Services',
        h('input', { name: 'services', placeholder: 'CRM, email marketing' }),
        'Comma separated',
      ),
      field(
        'Data categories',
        h('input', { name: 'data_categories', placeholder: 'contact details, consent status' }),
        'Comma separated',
      ),
      field('Purposes', h('input', { name: 'purposes', placeholder: 'marketing' }), 'Comma separated'),
    ),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    for (const key of ['services', 'data_categories', 'purposes'])
      if (values[key]) values[key] = listOf(values[key]);
    const problems = vendorProblems(values);
    if (problems.length) return showErrors(form, fieldProblems(problems));
    await busy(submit, async () => {
      try {
        const vendor = await api('/v1/vendors', { method: 'POST', json: values });
        flash(`Vendor ${vendor.name} added.`);
        navigate(`/vendors/${vendor.id}`);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}
