// The vendor page's DPA parts: the governing agreement with its Art. 28(3) checklist, the version
// history, and the form to record a new version with its signed document. Kept apart from vendor.js so
// the agreement (the gate's input) and the rest of the vendor's facts change independently.
import {
  api,
  ApiError,
  badge,
  busy,
  clearErrors,
  errorSummary,
  field,
  flash,
  formatDate,
  formValues,
  h,
  humanize,
  select,
  showErrors,
  table,
} from '../lib.js';
import { DPA_LABELS } from './vendors.js';

/** Art. 28(3)(a)-(h), in the order of the Regulation. */
const CLAUSES = [
  ['documented_instructions', '(a) Acts only on documented instructions, transfers included'],
  ['confidentiality', '(b) Persons authorised are bound to confidentiality'],
  ['security_measures', '(c) Takes the security measures of Art. 32'],
  ['sub_processor_conditions', '(d) Engages sub-processors only under Art. 28(2) and (4)'],
  ['assists_with_dsr', '(e) Assists with data-subject requests'],
  ['assists_with_32_36', '(f) Assists with Arts. 32 to 36 (security, breaches, DPIAs)'],
  ['deletion_or_return', '(g) Deletes or returns the data at the end'],
  ['audit_rights', '(h) Makes information available and allows audits'],
];
const CREATE_STATUSES = ['signed', 'draft', 'in_negotiation', 'not_required'];
const DOCUMENT_TYPES =
  'application/pdf,.pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,.docx';

/** Every version of the agreement, newest first. */
export function dpaHistory(dpas) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'history-title' },
    h('h2', { id: 'history-title' }, 'DPA history'),
    table(
      'Every version of the agreement (none is overwritten)',
      ['Version', 'Status', 'Signed', 'Effective from', 'Expires', 'Document', 'Recorded'],
      [...dpas]
        .sort((a, b) => b.version - a.version)
        .map((d) => [
          `v${d.version}`,
          badge(d.effective_status ?? d.status, DPA_LABELS[d.effective_status ?? d.status]),
          formatDate(d.signed_at, false),
          formatDate(d.effective_from, false),
          formatDate(d.expires_at, false),
          d.document
            ? h(
                'a',
                { href: d.document.href, download: d.document.name ?? true },
                d.document.name ?? 'Download',
              )
            : '—',
          formatDate(d.created_at),
        ]),
    ),
  );
}

function fact(term, value) {
  return [
    h('dt', null, term),
    h('dd', null, value === null || value === undefined || value === '' ? '—' : value),
  ];
}

/** The governing agreement: its facts, document and clause checklist. */
export function dpaSection(dpa) {
  if (!dpa) {
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'dpa-title' },
      h('h2', { id: 'dpa-title' }, 'Data processing agreement'),
      h(
        'div',
        { class: 'notice notice-warn' },
        'No DPA is recorded. Personal data is held back from this vendor’s connections; withdrawals and erasures still go out.',
      ),
    );
  }
  const status = dpa.effective_status ?? dpa.status;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'dpa-title' },
    h(
      'h2',
      { id: 'dpa-title' },
      `Data processing agreement, version ${dpa.version} `,
      badge(status, DPA_LABELS[status] ?? humanize(status)),
    ),
    dpa.valid === false && status !== 'not_required'
      ? h(
          'div',
          { class: 'notice notice-warn' },
          'This agreement is not valid today: personal data is held back (withdrawals and erasures still go out).',
        )
      : null,
    h(
      'dl',
      { class: 'facts' },
      fact('Signed', formatDate(dpa.signed_at, false)),
      fact('Effective from', formatDate(dpa.effective_from, false)),
      fact('Expires', formatDate(dpa.expires_at, false)),
      fact('Review due', formatDate(dpa.review_due_at, false)),
      fact(
        'Sub-processors',
        dpa.subprocessor_authorization
          ? `${humanize(dpa.subprocessor_authorization)}${dpa.subprocessor_notice_days ? `, ${dpa.subprocessor_notice_days} days’ notice` : ''}`
          : null,
      ),
      fact(
        'Breach notification',
        dpa.breach_notification_hours ? `within ${dpa.breach_notification_hours} hours` : null,
      ),
      fact('DSR assistance', dpa.dsr_assistance_days ? `within ${dpa.dsr_assistance_days} days` : null),
      fact('Signatory', dpa.counterparty_signatory),
      fact(
        'Signed document',
        dpa.document
          ? h(
              'span',
              null,
              h(
                'a',
                { href: dpa.document.href, download: dpa.document.name ?? true },
                dpa.document.name ?? 'Download',
              ),
              ` (${humanize(dpa.document.type?.includes('pdf') ? 'PDF' : 'DOCX')}, ${formatSize(dpa.document.size)}) `,
              h('code', { class: 'hash', title: 'SHA-256' }, `SHA-256 ${dpa.document.sha256.slice(0, 16)}…`),
            )
          : 'Not uploaded',
      ),
    ),
    h('h3', null, 'Art. 28(3) clause checklist'),
    h(
      'ul',
      { class: 'checklist', 'aria-label': 'Art. 28(3) clauses' },
      CLAUSES.map(([key, label]) => {
        const ok = dpa.clauses?.[key] === true;
        return h(
          'li',
          { class: ok ? 'check-ok' : 'check-missing' },
          h('span', { class: 'check-mark', 'aria-hidden': 'true' }, ok ? '✓' : '✗'),
          label,
          h('span', { class: 'visually-hidden' }, ok ? ': present' : ': missing'),
        );
      }),
    ),
  );
}

function formatSize(bytes) {
  if (!bytes && bytes !== 0) return '—';
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Records a new version (the form only shows for registry:write). */
export function dpaForm(vendor, navigate) {
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Record DPA version');
  const file = h('input', {
    type: 'file',
    name: 'document',
    accept: DOCUMENT_TYPES,
    'data-field': 'document',
  });
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'new-dpa-title' },
    h('h2', { id: 'new-dpa-title' }, 'Add a DPA version'),
    h('p', { class: 'muted' }, 'A new version never replaces the old ones; they stay in the history.'),
    errorSummary(),
    h(
      'div',
      { class: 'grid-2' },
      field(
        'Status',
        select(
          'status',
          CREATE_STATUSES.map((s) => [s, humanize(s)]),
          'signed',
        ),
      ),
      field('Signed on', h('input', { type: 'date', name: 'signed_at' }), 'Required when signed'),
      field('Effective from', h('input', { type: 'date', name: 'effective_from' })),
      field('Expires on', h('input', { type: 'date', name: 'expires_at' })),
      field('Review due', h('input', { type: 'date', name: 'review_due_at' })),
      field(
        'Sub-processor authorisation',
        select(
          'subprocessor_authorization',
          [
            ['', 'Not stated'],
            ['specific', 'Specific'],
            ['general_with_notice', 'General, with notice'],
          ],
          '',
        ),
      ),
      field(
        'Notice period (days)',
        h('input', { type: 'number', name: 'subprocessor_notice_days', min: '0', inputmode: 'numeric' }),
      ),
      field(
        'Breach notification (hours)',
        h('input', { type: 'number', name: 'breach_notification_hours', min: '0', inputmode: 'numeric' }),
      ),
      field(
        'DSR assistance (days)',
        h('input', { type: 'number', name: 'dsr_assistance_days', min: '0', inputmode: 'numeric' }),
      ),
      field('Counterparty signatory', h('input', { name: 'counterparty_signatory' })),
    ),
    h(
      'fieldset',
      { class: 'checks', id: 'clauses', 'data-field': 'clauses' },
      h('legend', null, 'Art. 28(3) clauses the agreement contains'),
      CLAUSES.map(([key, label]) => {
        const id = `clause-${key}`;
        return h(
          'div',
          { class: 'check' },
          h('input', { type: 'checkbox', id, name: `clauses.${key}`, checked: true }),
          h('label', { for: id }, label),
        );
      }),
      h('p', { class: 'field-error', id: 'clauses-error', hidden: true }),
    ),
    field('Signed document (PDF or DOCX, up to 10 MB)', file),
    field('Notes', h('textarea', { name: 'notes', rows: '2' })),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    const body = { status: values.status, clauses: {} };
    for (const key of [
      'signed_at',
      'effective_from',
      'expires_at',
      'review_due_at',
      'subprocessor_authorization',
      'counterparty_signatory',
      'notes',
    ]) {
      if (values[key]) body[key] = values[key];
    }
    for (const key of ['subprocessor_notice_days', 'breach_notification_hours', 'dsr_assistance_days']) {
      if (values[key]) body[key] = Number(values[key]);
    }
    for (const [key] of CLAUSES) body.clauses[key] = form.elements.namedItem(`clauses.${key}`).checked;
    const upload = file.files?.[0] ?? null;
    await busy(submit, async () => {
      let dpa;
      try {
        dpa = await api(`/v1/vendors/${vendor.id}/dpas`, { method: 'POST', json: body });
      } catch (error) {
        showErrors(form, error);
        return;
      }
      if (upload) {
        try {
          await api(
            `/v1/dpas/${dpa.id}/document?${new URLSearchParams({ name: upload.name.slice(0, 255) })}`,
            {
              method: 'PUT',
              body: upload,
              headers: { 'content-type': upload.type || guessType(upload.name) },
            },
          );
        } catch (error) {
          // The version exists; only its document failed. Say so next to the file field.
          showErrors(form, uploadProblem(error), {
            body: 'document',
            'content-type': 'document',
            name: 'document',
          });
          flash(`DPA version ${dpa.version} recorded, but its document was not accepted.`, 'warn');
          return;
        }
      }
      flash(`DPA version ${dpa.version} recorded${upload ? ' with its document' : ''}.`);
      navigate(`/vendors/${vendor.id}`, { replace: true });
    });
  });
  return form;
}

function guessType(name) {
  if (/\.pdf$/i.test(name)) return 'application/pdf';
  if (/\.docx$/i.test(name)) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
  return 'application/octet-stream';
}

function uploadProblem(error) {
  if (!(error instanceof ApiError)) return error;
  if (error.problem?.errors?.length) return error;
  return new ApiError(error.status, {
    ...error.problem,
    errors: [{ field: 'document', message: error.message }],
  });
}
