// An editor of third-country transfers (Chapter V): one row per destination with its safeguard, and the
// SCC module where the safeguard is the standard contractual clauses. Used by the vendor and activity forms.
import { field, h, select } from '../lib.js';
import { countrySelect, MECHANISM_LABELS, optionsOf, SCC_MODULES } from './registry-labels.js';

/**
 * The editor and a read() giving { transfers, problems }: the rows as the API takes them, and what is
 * missing in plain words (problems name the field as the API does: transfers.0.country…).
 */
export function transfersEditor(initial = [], prefix = 'transfers') {
  const rows = h('div', { class: 'transfer-rows' });
  const empty = h('p', { class: 'muted' }, 'No transfer outside the EEA recorded.');
  /** Rows are named by position, as the API names them in its errors (transfers.0.country…). */
  function renumber() {
    [...rows.children].forEach((row, i) => {
      row.querySelector('legend').textContent = `Transfer ${i + 1}`;
      for (const control of row.querySelectorAll('[name]'))
        control.dataset.field = `${prefix}.${i}.${control.getAttribute('name')}`;
    });
    empty.hidden = rows.children.length > 0;
  }

  function addRow(t = {}) {
    const mechanism = select(
      'mechanism',
      [['', 'Choose…'], ...optionsOf(MECHANISM_LABELS)],
      t.mechanism ?? '',
    );
    const module = select(
      'sccs_module',
      [['', 'Choose…'], ...optionsOf(SCC_MODULES)],
      t.sccs_module ? String(t.sccs_module) : '',
    );
    const moduleField = field('SCC module', module);
    const showModule = () => (moduleField.hidden = mechanism.value !== 'sccs');
    mechanism.addEventListener('change', showModule);
    const row = h(
      'fieldset',
      { class: 'transfer-row' },
      h('legend', null, 'Transfer'),
      h(
        'div',
        { class: 'grid-2' },
        field('Destination country', countrySelect('country', t.country, 'Choose…')),
        field('Safeguard', mechanism),
        moduleField,
        field('Notes', h('input', { name: 'notes', value: t.notes ?? '' })),
      ),
      h(
        'button',
        {
          type: 'button',
          class: 'btn btn-small btn-quiet',
          onclick: () => {
            row.remove();
            renumber();
          },
        },
        'Remove this transfer',
      ),
    );
    showModule();
    rows.append(row);
    renumber();
    return row;
  }

  for (const t of initial) addRow(t);
  renumber();

  const element = h(
    'fieldset',
    { class: 'transfers', 'data-field': prefix },
    h('legend', null, 'Transfers outside the EEA'),
    empty,
    rows,
    h(
      'button',
      {
        type: 'button',
        class: 'btn btn-small',
        onclick: () => addRow().querySelector('select')?.focus(),
      },
      'Add a transfer',
    ),
  );

  function read() {
    const transfers = [];
    const problems = [];
    for (const [n, row] of [...rows.children].entries()) {
      const value = (name) => row.querySelector(`[name="${name}"]`).value.trim();
      const t = { country: value('country'), mechanism: value('mechanism') };
      if (!t.country)
        problems.push({ field: `${prefix}.${n}.country`, message: 'Choose the destination country.' });
      if (!t.mechanism)
        problems.push({ field: `${prefix}.${n}.mechanism`, message: 'Choose the safeguard.' });
      if (t.mechanism === 'sccs') {
        if (value('sccs_module')) t.sccs_module = Number(value('sccs_module'));
        else
          problems.push({
            field: `${prefix}.${n}.sccs_module`,
            message: 'Choose which module of the standard contractual clauses applies.',
          });
      }
      if (value('notes')) t.notes = value('notes');
      transfers.push(t);
    }
    return { transfers, problems };
  }

  return { element, read };
}
