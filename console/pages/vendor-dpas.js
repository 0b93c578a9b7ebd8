// The vendor page's DPA parts: the governing agreement with its Art. 28(3) checklist, the version
// history, and the form to record a new version with its signed document. Kept apart from vendor.js so
// the agreement (the gate's input) and the rest of the vendor's facts change independently.
import {
  api,
  ApiError,
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
import { dpaStatusBadge, expiresBadge } from './vendors.js';

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
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const DOCUMENT_TYPES = `application/pdf,.pdf,${DOCX},.docx`;
const MAX_BYTES = 10 * 1024 * 1024;

/**
 * Why a version claiming to be signed does not count, in plain words (the API's `incomplete` codes and
 * `clauses_missing`). Used here and by the overview's Needs attention list.
 */
export function incompleteReasons(dpa) {
  const reasons = [];
  for (const gap of dpa.incomplete ?? []) {
    if (gap === 'document') reasons.push('the signed document is not attached');
    if (gap === 'clauses') {
      const labels = CLAUSES.filter(([key]) => (dpa.clauses_missing ?? []).includes(key)).map(([, l]) => l);
      reasons.push(`Art. 28(3) clauses not confirmed: ${labels.join('; ')}`);
    }
    if (gap === 'signed_in_future')
      reasons.push(`it is dated ${formatDate(dpa.signed_at, false)}, a day still to come`);
  }
  return reasons;
}

/**
 * What is wrong with a chosen file, checked before anything is sent: the size, the type, and the first
 * bytes (a PDF starts with %PDF-, a .docx is a ZIP container), as the gateway checks them. Null when fine.
 */
async function fileProblem(file) {
  const name = `“${file.name}”`;
  if (file.size === 0) return `${name} is empty.`;
  if (file.size > MAX_BYTES) return `${name} is ${formatSize(file.size)}; a document may be at most 10 MB.`;
  const type = documentType(file);
  if (!type) return `${name} is not a PDF or a Word (.docx) file.`;
  const head = new Uint8Array(await file.slice(0, 5).arrayBuffer());
  const isPdf = String.fromCharCode(...head) === '%PDF-';
  const isZip = head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
  if (type === 'application/pdf' ? !isPdf : !isZip)
    return `${name} is not really a ${type === 'application/pdf' ? 'PDF' : 'Word'} file: its content does not match its name.`;
  return null;
}

/** The document type of a file, by its declared type or else its name; null for anything else. */
function documentType(file) {
  if (file.type === 'application/pdf' || file.type === DOCX) return file.type;
  if (file.type && file.type !== 'application/octet-stream') return null;
  if (/\.pdf$/i.test(file.name)) return 'application/pdf';
  if (/\.docx$/i.test(file.name)) return DOCX;
  return null;
}

/** A refusal shown next to the file field, as the gateway's would be. */
const documentError = (message) =>
  new ApiError(400, { status: 400, detail: message, errors: [{ field: 'document', message }] });

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
          dpaStatusBadge(d.effective_status ?? d.status),
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

/**
 * The governing agreement: its facts, document and clause checklist; why it does not count when it is
 * incomplete; a form to attach the document when it has none (for registry:write).
 */
export function dpaSection(dpa, { canWrite = false, navigate, vendorId } = {}) {
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
      dpaStatusBadge(status),
      dpa.expires_in_days !== null && dpa.expires_in_days !== undefined
        ? [' ', expiresBadge(dpa.expires_in_days)]
        : null,
    ),
    status === 'incomplete' ? incompleteNotice(dpa) : null,
    dpa.valid === false && status !== 'not_required' && status !== 'incomplete'
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
    canWrite && !dpa.document && ['signed', 'draft', 'in_negotiation'].includes(dpa.status)
      ? attachForm(dpa, vendorId, navigate)
      : null,
  );
}

function incompleteNotice(dpa) {
  const reasons = incompleteReasons(dpa);
  const onlyDocument = dpa.incomplete?.length === 1 && dpa.incomplete[0] === 'document';
  return h(
    'div',
    { class: 'notice notice-error', id: 'dpa-incomplete' },
    h(
      'p',
      null,
      'This agreement is recorded as signed but is incomplete, so it does not count: personal data is held back from this vendor (withdrawals and erasures still go out). What is missing:',
    ),
    h(
      'ul',
      null,
      reasons.map((r) => h('li', null, r)),
    ),
    h(
      'p',
      null,
      onlyDocument
        ? 'Attach the signed document below.'
        : 'The facts of a version never change: record a new version with the signed document, every clause the agreement contains and the real signature date.',
    ),
  );
}

/** Attaches the signed document to a version recorded without one (PUT /v1/dpas/{id}/document). */
function attachForm(dpa, vendorId, navigate) {
  const submit = h('button', { type: 'submit', class: 'btn' }, 'Attach document');
  const file = h('input', { type: 'file', name: 'document', accept: DOCUMENT_TYPES, required: true });
  const form = h(
    'form',
    { class: 'attach-document', novalidate: true, 'aria-labelledby': 'attach-title' },
    h('h3', { id: 'attach-title' }, `Attach the signed document to version ${dpa.version}`),
    errorSummary(),
    field('Signed document (PDF or Word .docx, up to 10 MB)', file),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const upload = file.files?.[0];
    await busy(submit, async () => {
      const problem = upload ? await fileProblem(upload) : 'Choose the signed document first.';
      if (problem) return showErrors(form, documentError(problem));
      try {
        await api(`/v1/dpas/${dpa.id}/document?${new URLSearchParams({ name: upload.name.slice(0, 255) })}`, {
          method: 'PUT',
          body: upload,
          headers: { 'content-type': documentType(upload) },
        });
      } catch (error) {
        return showErrors(form, error, { body: 'document', 'content-type': 'document', name: 'document' });
      }
      flash(`Document attached to DPA version ${dpa.version}.`);
      navigate(`/vendors/${vendorId}`, { replace: true });
    });
  });
  return form;
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
      h(
        'p',
        { class: 'hint' },
        'Tick each clause you found in the signed text. A signed agreement counts only with all eight.',
      ),
      CLAUSES.map(([key, label]) => {
        const id = `clause-${key}`;
        return h(
          'div',
          { class: 'check' },
          h('input', { type: 'checkbox', id, name: `clauses.${key}` }),
          h('label', { for: id }, label),
        );
      }),
      h('p', { class: 'field-error', id: 'clauses-error', hidden: true }),
    ),
    field(
      'Signed document (PDF or Word .docx, up to 10 MB)',
      file,
      'Required for a signed agreement. It is saved together with the version, or nothing is saved.',
    ),
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
      // Checked here first, so nothing is sent that the gateway would refuse for its file.
      const problem = upload
        ? await fileProblem(upload)
        : body.status === 'signed'
          ? 'Attach the signed document: a signed agreement counts only with it.'
          : null;
      if (problem) return showErrors(form, documentError(problem));
      // One request: the version and its document are saved together, or neither is.
      const sent = new FormData();
      sent.append('dpa', JSON.stringify(body));
      // The file goes as chosen; a file without a known type is recognised by its name, as here.
      if (upload) sent.append('document', upload, upload.name);
      let dpa;
      try {
        dpa = await api(`/v1/vendors/${vendor.id}/dpas`, { method: 'POST', body: sent });
      } catch (error) {
        // Nothing was saved: the form keeps what was entered, to correct and send again.
        return showErrors(form, error, { body: 'document', 'content-type': 'document' });
      }
      flash(
        `DPA version ${dpa.version} recorded${upload ? ' with its document' : ''}${
          dpa.effective_status === 'incomplete' ? ', but it is incomplete: see what is missing' : ''
        }.`,
        dpa.effective_status === 'incomplete' ? 'warn' : 'ok',
      );
      navigate(`/vendors/${vendor.id}`, { replace: true });
    });
  });
  return form;
}
