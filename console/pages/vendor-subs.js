// The vendor's sub-processors (Art. 28(2), (4)): who it engages, for what, when we were told and until
// when we may object; a registry:write role adds, edits and removes them.
import {
  api,
  badge,
  busy,
  clearErrors,
  errorSummary,
  field,
  flash,
  formatDate,
  h,
  isoFromDateInput,
  link,
  mount,
  select,
  showErrors,
  table,
} from '../lib.js';
import { DPA_LABELS } from './vendors.js';
import { countryName, fieldProblems } from './registry-labels.js';

const dayOf = (iso) => (iso ? iso.slice(0, 10) : '');

/** The section; `candidates` are the vendors that may be engaged (loaded when the form opens). */
export function subProcessorsSection(vendor, { canWrite, onChanged }) {
  const subs = vendor.sub_processors ?? [];
  const formSlot = h('div');
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'subs-title' },
    h('h2', { id: 'subs-title' }, 'Sub-processors'),
    h(
      'p',
      { class: 'muted' },
      'Who this vendor engages to process the data (Art. 28(2) and (4)). Each is a vendor of the registry with its own agreement and country.',
    ),
    table(
      'Sub-processors of this vendor',
      [
        'Sub-processor',
        'What it does',
        'Country',
        'DPA',
        'We were told',
        'Objection deadline',
        ...(canWrite ? ['Actions'] : []),
      ],
      subs.map((s) => [
        link(`/console/vendors/${s.vendor_id}`, s.name),
        s.service ?? '—',
        countryName(s.country),
        badge(s.dpa_status, DPA_LABELS[s.dpa_status]),
        formatDate(s.notified_at, false),
        formatDate(s.objection_deadline, false),
        ...(canWrite
          ? [
              h(
                'span',
                { class: 'row-actions' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn btn-small',
                    'aria-label': `Edit ${s.name}`,
                    onclick: () => openForm(s),
                  },
                  'Edit',
                ),
                ' ',
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn btn-small btn-quiet',
                    'aria-label': `Remove ${s.name}`,
                    onclick: () => confirmRemove(s),
                  },
                  'Remove',
                ),
              ),
            ]
          : []),
      ]),
      { class: 'subs-table' },
    ),
    (vendor.processor_of ?? []).length
      ? h(
          'p',
          null,
          'Is a sub-processor of ',
          vendor.processor_of.map((p, i) => [i ? ', ' : '', link(`/console/vendors/${p.id}`, p.name)]),
          '.',
        )
      : null,
    canWrite
      ? h(
          'p',
          null,
          h('button', { type: 'button', class: 'btn', onclick: () => openForm(null) }, 'Add a sub-processor'),
        )
      : null,
    formSlot,
  );

  function confirmRemove(s) {
    const yes = h('button', { type: 'button', class: 'btn btn-danger' }, 'Remove');
    const message = h('div', { role: 'alert' });
    yes.addEventListener('click', () =>
      busy(yes, async () => {
        try {
          await api(`/v1/vendors/${vendor.id}/sub-processors/${s.vendor_id}`, { method: 'DELETE' });
          flash(`${s.name} is no longer listed as a sub-processor.`);
          onChanged();
        } catch (error) {
          mount(message, h('div', { class: 'notice notice-error' }, error.message));
        }
      }),
    );
    mount(
      formSlot,
      h(
        'div',
        { class: 'confirm' },
        h('p', null, h('strong', null, `Remove ${s.name} as a sub-processor of ${vendor.name}?`)),
        message,
        h(
          'div',
          { class: 'form-actions' },
          yes,
          h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => mount(formSlot) }, 'Cancel'),
        ),
      ),
    );
    yes.focus();
  }

  async function openForm(existing) {
    let choices = [];
    if (!existing) {
      try {
        const taken = new Set([vendor.id, ...subs.map((s) => s.vendor_id)]);
        choices = ((await api('/v1/vendors')).vendors ?? []).filter((v) => !taken.has(v.id));
      } catch (error) {
        mount(formSlot, h('div', { class: 'notice notice-error', role: 'alert' }, error.message));
        return;
      }
    }
    const form = subForm(vendor, existing, choices, { onChanged, onCancel: () => mount(formSlot) });
    mount(formSlot, form);
    form.querySelector('select, input')?.focus();
  }

  return section;
}

function subForm(vendor, existing, choices, { onChanged, onCancel }) {
  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn-primary' },
    existing ? 'Save' : 'Add sub-processor',
  );
  const title = existing ? `Edit ${existing.name}` : 'Add a sub-processor';
  const form = h(
    'form',
    { class: 'sub-form', novalidate: true, 'aria-label': title },
    h('h3', null, title),
    errorSummary(),
    h(
      'div',
      { class: 'grid-2' },
      existing
        ? null
        : field(
            'Vendor engaged',
            select('sub_processor_id', [['', 'Choose…'], ...choices.map((c) => [c.id, c.name])], ''),
            'Not in the list? Add it on the vendors page first.',
          ),
      field(
        'What it does',
        h('input', { name: 'service', value: existing?.service ?? '', placeholder: 'Hosting' }),
      ),
      field(
        'We were told on',
        h('input', { name: 'notified_at', type: 'date', value: dayOf(existing?.notified_at) }),
      ),
      field(
        'Objection deadline',
        h('input', { name: 'objection_deadline', type: 'date', value: existing?.objection_deadline ?? '' }),
        'Last day to object, under a general authorisation',
      ),
    ),
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
    const body = {
      service: String(data.get('service') ?? '').trim() || null,
      notified_at: isoFromDateInput(String(data.get('notified_at') ?? '')) ?? null,
      objection_deadline: data.get('objection_deadline') || null,
    };
    if (!existing) {
      body.sub_processor_id = data.get('sub_processor_id');
      if (!body.sub_processor_id)
        return showErrors(
          form,
          fieldProblems([{ field: 'sub_processor_id', message: 'Choose the vendor engaged.' }]),
        );
      for (const key of Object.keys(body)) if (body[key] === null) delete body[key];
    }
    await busy(submit, async () => {
      try {
        const path = `/v1/vendors/${vendor.id}/sub-processors`;
        if (existing) await api(`${path}/${existing.vendor_id}`, { method: 'PATCH', json: body });
        else await api(path, { method: 'POST', json: body });
        flash(existing ? `${existing.name} updated.` : 'Sub-processor added.');
        onChanged();
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}
