// "Record a request": a DPO records a data-subject request that reached the business outside the API (an
// email, a letter, a call). Who it is about is typed once and sent in the body, never put in a URL.
import {
  api,
  ApiError,
  busy,
  can,
  clearErrors,
  errorSummary,
  field,
  flash,
  formValues,
  h,
  isoFromDateInput,
  nextId,
  select,
  showErrors,
  todayInput,
} from '../lib.js';

const TYPES = [
  ['erasure', 'Erasure (Art. 17)'],
  ['access', 'Access and portability (Art. 15, 20)'],
  ['rectification', 'Rectification (Art. 16)'],
  ['restriction', 'Restriction of processing (Art. 18)'],
  ['objection', 'Objection to direct marketing (Art. 21(3))'],
];
const IDENTIFIERS = [
  ['phone', 'Phone'],
  ['email', 'Email'],
  ['subject_id', 'Subject id'],
];
const PLACEHOLDERS = { phone: '+44 7700 900123', email: 'name@example.com', subject_id: 'uuid' };
/** Suggestions only: the API decides what it accepts and names the field when it does not. */
const SOURCES = ['email', 'letter', 'phone', 'in_person', 'web_form', 'other'];
const METHODS = ['id_document', 'known_contact_details', 'email_confirmation', 'phone_callback', 'in_person'];

function datalist(values) {
  return h(
    'datalist',
    { id: nextId('list') },
    values.map((v) => h('option', { value: v })),
  );
}

export function recordRequestForm(navigate) {
  const type = select('type', TYPES, 'erasure');
  const kind = select('identify_by', IDENTIFIERS, 'phone');
  const value = h('input', {
    name: 'identifier',
    required: true,
    autocomplete: 'off',
    'data-field': 'phone',
    placeholder: PLACEHOLDERS.phone,
  });
  kind.addEventListener('change', () => {
    value.type = kind.value === 'email' ? 'email' : 'text';
    value.placeholder = PLACEHOLDERS[kind.value];
    value.setAttribute('data-field', kind.value);
  });
  const sources = datalist(SOURCES);
  const methods = datalist(METHODS);
  const changes = h(
    'fieldset',
    { class: 'checks', id: 'request-changes', 'data-field': 'changes', hidden: true },
    h('legend', null, 'Corrected identifiers'),
    h(
      'p',
      { class: 'hint' },
      'Give the corrected value of what is wrong; it replaces the old one everywhere.',
    ),
    h(
      'div',
      { class: 'grid-2' },
      field('Corrected phone', h('input', { name: 'changes.phone', autocomplete: 'off' })),
      field('Corrected email', h('input', { name: 'changes.email', type: 'email', autocomplete: 'off' })),
    ),
    h('p', { class: 'field-error', id: 'request-changes-error', hidden: true }),
  );
  const lift = h(
    'div',
    { class: 'check', hidden: true },
    h('input', { type: 'checkbox', id: 'request-lift', name: 'lift', 'data-field': 'lift' }),
    h('label', { for: 'request-lift' }, 'Lift an existing restriction (the person asks to end it)'),
    h('p', { class: 'field-error', id: 'request-lift-error', hidden: true }),
  );
  type.addEventListener('change', () => {
    changes.hidden = type.value !== 'rectification';
    lift.hidden = type.value !== 'restriction';
  });
  const verification = can('requests:verify')
    ? h(
        'fieldset',
        { class: 'checks', id: 'request-verification', 'data-field': 'verification' },
        h('legend', null, 'Identity (leave empty when it is still to be verified)'),
        h(
          'div',
          { class: 'grid-2' },
          field(
            'Verified by',
            h('input', { name: 'verification.method', list: methods.id, autocomplete: 'off' }),
            'How you know it is the person: e.g. id_document, phone_callback',
          ),
          field('Verification note', h('textarea', { name: 'verification.note', rows: '2' })),
        ),
        methods,
        h('p', { class: 'field-error', id: 'request-verification-error', hidden: true }),
      )
    : h(
        'p',
        { class: 'hint' },
        'The request waits in identity verification until someone allowed to verify records how.',
      );
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Record request');
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'record-title' },
    h('h2', { id: 'record-title', tabindex: '-1' }, 'Record a request'),
    h(
      'p',
      { class: 'muted' },
      'For a request received by email, letter or phone. The one-month deadline runs from the day it was received.',
    ),
    errorSummary(),
    h(
      'div',
      { class: 'grid-2' },
      field('Type of request', type),
      field('Identify the person by', kind),
      field('Phone, email or subject id', value, 'Phone numbers in international format.'),
      field(
        'Received on',
        h('input', { type: 'date', name: 'received_at', value: todayInput(), max: todayInput() }),
      ),
      field(
        'Received through',
        h('input', { name: 'source', list: sources.id, autocomplete: 'off' }),
        'e.g. email, letter, phone',
      ),
      sources,
    ),
    changes,
    lift,
    verification,
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    if (!v.identifier) {
      showErrors(
        form,
        new ApiError(400, {
          detail: 'Say who the request is about.',
          errors: [{ field: kind.value, message: 'is required' }],
        }),
      );
      return;
    }
    const body = { type: v.type, [kind.value]: v.identifier };
    if (v.received_at) body.received_at = isoFromDateInput(v.received_at);
    if (v.source) body.source = v.source;
    if (v.type === 'rectification') {
      body.changes = {};
      if (v['changes.phone']) body.changes.phone = v['changes.phone'];
      if (v['changes.email']) body.changes.email = v['changes.email'];
    }
    if (v.type === 'restriction' && form.elements.namedItem('lift').checked) body.lift = true;
    if (v['verification.method'] || v['verification.note']) {
      body.verification = { method: v['verification.method'], note: v['verification.note'] };
    }
    await busy(submit, async () => {
      try {
        const created = await api('/v1/requests', { method: 'POST', json: body });
        flash(`Request recorded; due ${new Date(created.due_at).toLocaleDateString()}.`);
        navigate(`/requests/${created.id}`);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}
