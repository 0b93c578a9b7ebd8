// The vendor's facts as a form (edit), and archiving: what the vendor page offers a registry:write role.
import { api, busy, clearErrors, errorSummary, field, flash, h, mount, select, showErrors } from '../lib.js';
import {
  countrySelect,
  fieldProblems,
  listOf,
  optionsOf,
  RISK_LABELS,
  ROLE_LABELS,
} from './registry-labels.js';
import { transfersEditor } from './transfers-editor.js';

const TEXT_FIELDS = ['name', 'legal_name', 'website', 'privacy_contact_email', 'owner', 'notes'];
const LIST_FIELDS = ['services', 'data_categories', 'data_subject_categories', 'purposes'];

/** The checks the browser can make, in plain words, before anything is sent. */
export function vendorProblems(values) {
  const problems = [];
  if (!values.name) problems.push({ field: 'name', message: 'Enter the vendor’s name.' });
  if (values.website && !/^https?:\/\/\S+\.\S+/i.test(values.website))
    problems.push({ field: 'website', message: 'Enter a web address starting with https://' });
  if (values.privacy_contact_email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.privacy_contact_email))
    problems.push({
      field: 'privacy_contact_email',
      message: 'Enter an email address, like privacy@example.com',
    });
  return problems;
}

/** The edit form of a vendor's facts; saves with PATCH (an emptied field is cleared) and calls onSaved. */
export function vendorEditForm(vendor, { onSaved, onCancel }) {
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save changes');
  const transfers = transfersEditor(vendor.transfers ?? []);
  const textarea = (name, value, rows = '2') =>
    h('textarea', { name, rows }, Array.isArray(value) ? value.join('\n') : (value ?? ''));
  const form = h(
    'form',
    { class: 'vendor-edit', novalidate: true, 'aria-label': `Edit ${vendor.name}` },
    errorSummary(),
    h(
      'div',
      { class: 'grid-2' },
      field('Name', h('input', { name: 'name', value: vendor.name, required: true, maxlength: '200' })),
      field('Legal name', h('input', { name: 'legal_name', value: vendor.legal_name ?? '' })),
      field('Role', select('role', [['', 'Not recorded'], ...optionsOf(ROLE_LABELS)], vendor.role ?? '')),
      field('Country of establishment', countrySelect('country', vendor.country)),
      field(
        'Website',
        h('input', { name: 'website', type: 'url', value: vendor.website ?? '', placeholder: 'https://' }),
      ),
      field(
        'Privacy contact email',
        h('input', {
          name: 'privacy_contact_email',
          type: 'email',
          value: vendor.privacy_contact_email ?? '',
        }),
        'Receives notices of rectification, erasure and restriction (Art. 19)',
      ),
      field(
        'Risk tier',
        select('risk_tier', [['', 'Not assessed'], ...optionsOf(RISK_LABELS)], vendor.risk_tier ?? ''),
      ),
      field(
        'Owner',
        h('input', { name: 'owner', value: vendor.owner ?? '' }),
        'Who in the business answers for it',
      ),
      field(
        'Next review',
        h('input', { name: 'next_review_at', type: 'date', value: vendor.next_review_at ?? '' }),
      ),
      field('Services', textarea('services', vendor.services), 'One per line'),
      field('Categories of data', textarea('data_categories', vendor.data_categories), 'One per line'),
      field(
        'Categories of people',
        textarea('data_subject_categories', vendor.data_subject_categories),
        'One per line, for example customers',
      ),
      field('Purposes', textarea('purposes', vendor.purposes), 'One per line'),
    ),
    transfers.element,
    field('Notes', textarea('notes', vendor.notes, '3')),
    h(
      'div',
      { class: 'form-actions' },
      submit,
      h('button', { type: 'button', class: 'btn btn-quiet', onclick: onCancel }, 'Cancel'),
    ),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const data = new FormData(form);
    const body = {};
    for (const key of TEXT_FIELDS) body[key] = String(data.get(key) ?? '').trim() || null;
    for (const key of LIST_FIELDS) body[key] = listOf(data.get(key));
    body.role = data.get('role') || null;
    body.country = data.get('country') || null;
    body.risk_tier = data.get('risk_tier') || null;
    body.next_review_at = data.get('next_review_at') || null;
    const read = transfers.read();
    body.transfers = read.transfers;
    const problems = [...vendorProblems(body), ...read.problems];
    if (problems.length) return showErrors(form, fieldProblems(problems));
    await busy(submit, async () => {
      try {
        const saved = await api(`/v1/vendors/${vendor.id}`, { method: 'PATCH', json: body });
        flash(`Changes to ${saved.name} saved.`);
        onSaved(saved);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

/**
 * Archive (with a confirmation in place) or bring back. A refusal (live connections, an activity in use
 * naming it) is shown as the API words it.
 */
export function archiveSection(vendor, { onChanged }) {
  const archived = Boolean(vendor.archived_at);
  const message = h('div', { role: 'alert' });
  const body = h('div');
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'archive-title' },
    h('h2', { id: 'archive-title' }, archived ? 'Archived vendor' : 'Archive'),
    message,
    body,
  );
  const send = async (button, value) =>
    busy(button, async () => {
      try {
        await api(`/v1/vendors/${vendor.id}`, { method: 'PATCH', json: { archived: value } });
        flash(value ? `${vendor.name} archived.` : `${vendor.name} is back in the registry.`);
        onChanged();
      } catch (error) {
        mount(message, h('div', { class: 'notice notice-error' }, error.message));
        showIntro();
      }
    });

  function showIntro() {
    if (archived) {
      const button = h(
        'button',
        { type: 'button', class: 'btn', onclick: () => send(button, false) },
        'Bring back',
      );
      return mount(
        body,
        h('p', null, 'This vendor is hidden from the vendors list. Bring it back to use it again.'),
        button,
      );
    }
    mount(
      body,
      h(
        'p',
        null,
        'A vendor you no longer use can be archived: it is hidden from the vendors list, and its history stays. A vendor with live connections, or receiving data in a processing activity in use, cannot be archived.',
      ),
      h('button', { type: 'button', class: 'btn', onclick: confirm }, 'Archive this vendor…'),
    );
  }

  function confirm() {
    mount(message);
    const yes = h(
      'button',
      { type: 'button', class: 'btn btn-danger', onclick: () => send(yes, true) },
      'Archive',
    );
    mount(
      body,
      h('p', null, h('strong', null, `Archive ${vendor.name}?`), ' It disappears from the vendors list.'),
      h(
        'div',
        { class: 'form-actions' },
        yes,
        h('button', { type: 'button', class: 'btn btn-quiet', onclick: showIntro }, 'Cancel'),
      ),
    );
    yes.focus();
  }

  showIntro();
  return section;
}
