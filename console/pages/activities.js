// Processing activities: the Art. 30(1) record, listed, created and edited in the console. The ROPA
// exports are built from it, so they stay empty until the first activity is recorded.
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
  h,
  link,
  mount,
  pageHeading,
  select,
  showErrors,
  table,
} from '../lib.js';
import {
  ACTIVITY_STATUS_LABELS,
  countryName,
  fieldProblems,
  LEGAL_BASIS_LABELS,
  listOf,
  optionsOf,
  transferText,
} from './registry-labels.js';
import { transfersEditor } from './transfers-editor.js';

const STATUS_TONES = {
  draft: 'draft',
  in_review: 'in_negotiation',
  approved: 'valid',
  deprecated: 'revoked',
};
const statusBadge = (status) =>
  badge(STATUS_TONES[status] ?? status, ACTIVITY_STATUS_LABELS[status] ?? status);
const list = (xs) => (Array.isArray(xs) && xs.length ? xs.join(', ') : '—');

function exportLinks() {
  return h(
    'div',
    { class: 'export-links', role: 'group', 'aria-label': 'Exports' },
    h('span', { class: 'muted' }, 'Export: '),
    h('a', { href: '/v1/exports/ropa.csv', download: 'ropa.csv', class: 'btn btn-small' }, 'ROPA (CSV)'),
    h('a', { href: '/v1/exports/ropa.json', download: 'ropa.json', class: 'btn btn-small' }, 'ROPA (JSON)'),
  );
}

/** The list, with the ROPA exports, and a way to add one. */
export async function renderActivities(root) {
  mount(root, pageHeading('Processing activities'), h('p', { class: 'muted' }, 'Loading…'));
  let activities;
  try {
    activities = (await api('/v1/processing-activities')).processing_activities ?? [];
  } catch (error) {
    mount(root, pageHeading('Processing activities'), errorNotice(error));
    return;
  }
  const add = can('registry:write')
    ? link('/console/activities/new', 'Add a processing activity', { class: 'btn btn-primary' })
    : null;
  mount(
    root,
    pageHeading('Processing activities', exportLinks()),
    h(
      'p',
      null,
      'The record of processing activities (GDPR Art. 30): what personal data is used for, on which legal basis, about whom, who receives it and for how long it is kept.',
    ),
    activities.length
      ? table(
          `Processing activities (${activities.length})`,
          ['Activity', 'Purpose', 'Legal basis', 'Recipients', 'Status', 'Last changed'],
          activities.map((a) => [
            link(`/console/activities/${a.id}`, a.name),
            a.purpose,
            LEGAL_BASIS_LABELS[a.legal_basis] ?? a.legal_basis,
            list(a.recipients.map((r) => r.name)),
            statusBadge(a.status),
            formatDate(a.updated_at),
          ]),
          { class: 'activities-table' },
        )
      : h(
          'div',
          { class: 'notice notice-warn' },
          'No processing activity is recorded yet, so the ROPA exports are empty. Add the first one to start the record.',
        ),
    h('p', null, add),
  );
}

/** One activity: its facts, and the form to edit it (registry:write); `new` opens an empty form. */
export async function renderActivity(root, { match, navigate, isCurrent }) {
  const id = match[1];
  const creating = id === 'new';
  mount(
    root,
    pageHeading(creating ? 'New processing activity' : 'Processing activity'),
    h('p', { class: 'muted' }, 'Loading…'),
  );
  let activity = null;
  let vendors = [];
  try {
    [activity, vendors] = await Promise.all([
      creating ? null : api(`/v1/processing-activities/${encodeURIComponent(id)}`),
      can('registry:write') ? api('/v1/vendors').then((b) => b.vendors ?? []) : [],
    ]);
  } catch (error) {
    mount(
      root,
      pageHeading('Processing activity'),
      errorNotice(error),
      h('p', null, link('/console/activities', 'Back to processing activities')),
    );
    return;
  }
  if (!isCurrent()) return;
  const crumb = h('p', { class: 'breadcrumb' }, link('/console/activities', 'Processing activities'), ' / ');
  if (!can('registry:write')) {
    if (creating)
      mount(
        root,
        crumb,
        pageHeading('New processing activity'),
        h(
          'div',
          { class: 'notice notice-error', role: 'alert' },
          'Your role cannot add processing activities. Ask a DPO.',
        ),
      );
    else
      mount(root, crumb, pageHeading(activity.name, statusBadge(activity.status)), activityFacts(activity));
    return;
  }
  mount(
    root,
    crumb,
    pageHeading(
      creating ? 'New processing activity' : activity.name,
      creating ? null : statusBadge(activity.status),
    ),
    activity ? activityFacts(activity) : null,
    activityForm(activity, vendors, (saved) => {
      flash(creating ? `Processing activity ${saved.name} recorded.` : `Changes to ${saved.name} saved.`);
      navigate(`/activities/${saved.id}`, { replace: creating });
    }),
  );
}

function fact(term, value) {
  return [
    h('dt', null, term),
    h('dd', null, value === null || value === undefined || value === '' ? '—' : value),
  ];
}

function activityFacts(a) {
  const transfers = [...a.transfers, ...a.recipient_transfers];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'activity-facts-title' },
    h('h2', { id: 'activity-facts-title' }, 'As recorded'),
    h(
      'dl',
      { class: 'facts' },
      fact('Purpose', a.purpose),
      fact('Legal basis', LEGAL_BASIS_LABELS[a.legal_basis] ?? a.legal_basis),
      fact('Legitimate interest', a.legitimate_interest),
      fact('Categories of data', list(a.data_categories)),
      fact('Categories of people', list(a.data_subjects)),
      fact(
        'Recipients',
        a.recipients.length
          ? h(
              'ul',
              { class: 'plain-list' },
              a.recipients.map((r) =>
                h(
                  'li',
                  null,
                  link(`/console/vendors/${r.vendor_id}`, r.name),
                  r.country ? ` — ${countryName(r.country)}` : '',
                ),
              ),
            )
          : null,
      ),
      fact(
        'Transfers outside the EEA',
        transfers.length
          ? h(
              'ul',
              { class: 'plain-list' },
              transfers.map((t) => h('li', null, `${t.vendor ? `${t.vendor} → ` : ''}${transferText(t)}`)),
            )
          : 'None recorded',
      ),
      fact('Retention', a.retention),
      fact('Security measures', a.security_measures),
      fact(
        'Impact assessment (DPIA)',
        a.dpia_required ? `Required${a.dpia_reference ? `: ${a.dpia_reference}` : ''}` : 'Not required',
      ),
      fact('Controller contact', a.controller_contact),
      fact('Last changed', formatDate(a.updated_at)),
    ),
  );
}

/** The checks the browser makes before sending, in plain words naming the field. */
function activityProblems(body) {
  const problems = [];
  if (!body.name) problems.push({ field: 'name', message: 'Enter a name for the activity.' });
  if (!body.purpose) problems.push({ field: 'purpose', message: 'Say what the personal data is used for.' });
  if (!body.legal_basis) problems.push({ field: 'legal_basis', message: 'Choose the legal basis.' });
  if (body.legal_basis === 'legitimate_interests' && !body.legitimate_interest)
    problems.push({
      field: 'legitimate_interest',
      message: 'Describe the legitimate interest pursued: it is required with legitimate interests.',
    });
  return problems;
}

function activityForm(a, vendors, onSaved) {
  const creating = !a;
  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn-primary' },
    creating ? 'Record activity' : 'Save changes',
  );
  const transfers = transfersEditor(a?.transfers ?? []);
  const textarea = (name, value, rows = '2', attrs = {}) =>
    h('textarea', { name, rows, ...attrs }, Array.isArray(value) ? value.join('\n') : (value ?? ''));
  const chosen = new Set((a?.recipients ?? []).map((r) => r.vendor_id));
  // A recipient archived since stays listed (and kept) until someone unticks it.
  const listed = new Set(vendors.map((v) => v.id));
  const choices = [
    ...vendors,
    ...(a?.recipients ?? [])
      .filter((r) => !listed.has(r.vendor_id))
      .map((r) => ({ id: r.vendor_id, name: `${r.name} (archived)` })),
  ];
  const recipients = h(
    'fieldset',
    { class: 'checks', 'data-field': 'recipients', id: 'recipients' },
    h('legend', null, 'Recipients: the vendors receiving this data'),
    choices.length
      ? choices.map((v) => {
          const id = `recipient-${v.id}`;
          return h(
            'div',
            { class: 'check' },
            h('input', { type: 'checkbox', id, name: 'recipients', value: v.id, checked: chosen.has(v.id) }),
            h('label', { for: id }, v.name),
          );
        })
      : h('p', { class: 'muted' }, 'No vendor is recorded yet.'),
    h('p', { class: 'field-error', id: 'recipients-error', hidden: true }),
  );
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'activity-form-title' },
    h('h2', { id: 'activity-form-title' }, creating ? 'Record a processing activity' : 'Edit this activity'),
    errorSummary(),
    h(
      'div',
      { class: 'grid-2' },
      field('Name', h('input', { name: 'name', value: a?.name ?? '', maxlength: '200', required: true })),
      field(
        'Legal basis',
        select('legal_basis', [['', 'Choose…'], ...optionsOf(LEGAL_BASIS_LABELS)], a?.legal_basis ?? ''),
      ),
    ),
    field(
      'Purpose',
      textarea('purpose', a?.purpose, '2', { required: true }),
      'What the personal data is used for',
    ),
    field(
      'Legitimate interest',
      textarea('legitimate_interest', a?.legitimate_interest),
      'Required when the legal basis is legitimate interests',
    ),
    h(
      'div',
      { class: 'grid-2' },
      field(
        'Categories of data',
        textarea('data_categories', a?.data_categories, '3'),
        'One per line, for example phone number',
      ),
      field(
        'Categories of people',
        textarea('data_subjects', a?.data_subjects, '3'),
        'One per line, for example customers',
      ),
    ),
    recipients,
    transfers.element,
    h(
      'div',
      { class: 'grid-2' },
      field(
        'Retention',
        h('input', { name: 'retention', value: a?.retention ?? '' }),
        'When the data is erased, for example 24 months after the last contact',
      ),
      field(
        'Controller contact',
        h('input', { name: 'controller_contact', value: a?.controller_contact ?? '' }),
        'Who answers for it, and the DPO',
      ),
    ),
    field(
      'Security measures',
      textarea('security_measures', a?.security_measures, '3'),
      'A general description (Art. 32)',
    ),
    h(
      'div',
      { class: 'grid-2' },
      h(
        'div',
        { class: 'check' },
        h('input', {
          type: 'checkbox',
          id: 'dpia_required',
          name: 'dpia_required',
          checked: a?.dpia_required ?? false,
        }),
        h('label', { for: 'dpia_required' }, 'An impact assessment (DPIA) is required'),
      ),
      field('DPIA reference', h('input', { name: 'dpia_reference', value: a?.dpia_reference ?? '' })),
      field('Status', select('status', optionsOf(ACTIVITY_STATUS_LABELS), a?.status ?? 'draft')),
    ),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const data = new FormData(form);
    const text = (key) => String(data.get(key) ?? '').trim() || null;
    const body = {
      name: text('name'),
      purpose: text('purpose'),
      legal_basis: text('legal_basis'),
      legitimate_interest: text('legitimate_interest'),
      data_categories: listOf(data.get('data_categories')),
      data_subjects: listOf(data.get('data_subjects')),
      recipients: data.getAll('recipients').map(String),
      retention: text('retention'),
      controller_contact: text('controller_contact'),
      security_measures: text('security_measures'),
      dpia_required: data.get('dpia_required') === 'on',
      dpia_reference: text('dpia_reference'),
      status: text('status') ?? 'draft',
    };
    const read = transfers.read();
    body.transfers = read.transfers;
    const problems = [...activityProblems(body), ...read.problems];
    if (problems.length) return showErrors(form, fieldProblems(problems));
    if (creating) for (const key of Object.keys(body)) if (body[key] === null) delete body[key];
    await busy(submit, async () => {
      try {
        const saved = await api(
          creating ? '/v1/processing-activities' : `/v1/processing-activities/${a.id}`,
          {
            method: creating ? 'POST' : 'PATCH',
            json: body,
          },
        );
        onSaved(saved);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}
