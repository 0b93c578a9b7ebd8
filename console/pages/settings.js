// Settings: the controller named on consent receipts and access exports (name, contact, email, address,
// privacy policy). Until they are filled in, receipts name the configuration's placeholders and the
// overview warns.
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
  formValues,
  h,
  mount,
  pageHeading,
  showErrors,
} from '../lib.js';

/** The fields in the order of the form, with what each is for. */
export const CONTROLLER_FIELDS = [
  [
    'name',
    'Controller name',
    'The organisation responsible for the personal data, as on your privacy policy.',
  ],
  ['contact', 'Contact', 'Who people reach about their data, e.g. “Data Protection Officer, Jo Smith”.'],
  ['email', 'Email', 'Where people write about their data.'],
  ['address', 'Postal address', null],
  ['privacy_policy_url', 'Privacy policy URL', 'The page receipts link to, starting with https://.'],
];

export async function renderSettings(root, { navigate }) {
  mount(root, pageHeading('Settings'), h('p', { class: 'muted' }, 'Loading…'));
  let current;
  try {
    current = await api('/v1/settings/controller');
  } catch (error) {
    mount(root, pageHeading('Settings'), errorNotice(error));
    return;
  }
  const editable = can('registry:write');
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save controller details');
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'controller-title' },
    h('h2', { id: 'controller-title' }, 'The controller'),
    h('p', { class: 'muted' }, 'Consent receipts and access exports name the controller given here.'),
    errorSummary(),
    CONTROLLER_FIELDS.map(([name, text, hint]) =>
      field(
        text,
        name === 'address'
          ? h('textarea', { name, rows: '3', readonly: !editable }, placeholderless(current, name))
          : h('input', {
              name,
              type: name === 'email' ? 'email' : name === 'privacy_policy_url' ? 'url' : 'text',
              value: placeholderless(current, name),
              readonly: !editable,
            }),
        hint,
      ),
    ),
    editable
      ? h('div', { class: 'form-actions' }, submit)
      : h('p', { class: 'muted' }, 'Only a DPO or an admin can change these details.'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    const body = Object.fromEntries(CONTROLLER_FIELDS.map(([name]) => [name, values[name] ?? '']));
    if (!body.privacy_policy_url) body.privacy_policy_url = null;
    await busy(submit, async () => {
      try {
        await api('/v1/settings/controller', { method: 'PUT', json: body });
        flash('Controller details saved. New receipts and exports name them.');
        navigate('/settings', { replace: true });
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  mount(root, pageHeading('Settings'), status(current), form);
}

/** A value for the form: placeholders are not offered as if they were real. */
function placeholderless(current, name) {
  if (current.missing?.includes(name)) return current.source === 'saved' ? (current[name] ?? '') : '';
  return current[name] ?? '';
}

function status(current) {
  if (current.complete) {
    return h(
      'div',
      { class: 'notice notice-ok', role: 'status' },
      badge('valid', 'Complete'),
      ' Receipts and exports name this controller.',
    );
  }
  const names = Object.fromEntries(
    CONTROLLER_FIELDS.map(([name, text]) => [name, text.charAt(0).toLowerCase() + text.slice(1)]),
  );
  return h(
    'div',
    { class: 'notice notice-warn', role: 'status' },
    badge('missing', 'Not filled in'),
    ` Still missing or a placeholder: ${current.missing.map((m) => names[m] ?? m).join(', ')}.`,
    current.source === 'configuration'
      ? ' Until you save, receipts use the placeholder details of the configuration.'
      : '',
  );
}
