// Console users: who may sign in, with what role. An admin invites people (a temporary password shown
// once: the gateway sends no email), changes roles, disables accounts (their sessions end at once) and
// lifts a sign-in lockout.
import {
  api,
  badge,
  busy,
  clearErrors,
  copyButton,
  errorNotice,
  errorSummary,
  field,
  flash,
  formatDate,
  formValues,
  h,
  label,
  mount,
  pageHeading,
  plainDetail,
  remainingWords,
  ROLE_NAMES,
  select,
  session,
  showErrors,
  table,
} from '../lib.js';

const ROLE_OPTIONS = Object.entries(ROLE_NAMES);

export async function renderUsers(root, { navigate }) {
  mount(root, pageHeading('Users'), h('p', { class: 'muted' }, 'Loading…'));
  let users;
  try {
    users = (await api('/v1/users')).users;
  } catch (error) {
    mount(root, pageHeading('Users'), errorNotice(error));
    return;
  }
  const reload = () => navigate('/users', { replace: true });
  const rows = users.map((u) => [
    u.name,
    u.email,
    roleControl(u, reload),
    u.last_login_at ? formatDate(u.last_login_at) : 'Never',
    status(u),
    h(
      'div',
      { class: 'row-actions' },
      u.locked_until ? unlockButton(u, reload) : null,
      disableButton(u, reload),
    ),
  ]);
  mount(
    root,
    pageHeading('Users'),
    h(
      'p',
      { class: 'muted' },
      'After repeated failed sign-ins an account is locked for a while; unlock it once you know the person. Disabling an account signs the person out at once.',
    ),
    table(`Users (${users.length})`, ['Name', 'Email', 'Role', 'Last sign-in', 'Status', 'Actions'], rows),
    inviteForm(reload),
  );
}

/** Active, disabled, or locked "for 14 more minutes". */
function status(user) {
  if (user.disabled) return badge('terminated', 'Disabled');
  const left = user.locked_until ? remainingWords(user.locked_until) : null;
  if (left) {
    return h(
      'span',
      null,
      badge('expiring', `Locked for ${left}`),
      h('span', { class: 'visually-hidden' }, ` (until ${formatDate(user.locked_until)})`),
    );
  }
  return badge('active', 'Active');
}

/** The role as a select that saves on change (your own role is shown, not changed here). */
function roleControl(user, reload) {
  if (user.id === session.user?.id) return label('role', user.role);
  const control = select('role', ROLE_OPTIONS, user.role, { 'aria-label': `Role of ${user.name}` });
  control.addEventListener('change', async () => {
    control.disabled = true;
    try {
      await api(`/v1/users/${user.id}`, { method: 'PATCH', json: { role: control.value } });
      flash(`${user.name} is now ${label('role', control.value)}.`);
      reload();
    } catch (error) {
      control.value = user.role;
      control.disabled = false;
      flash(plainDetail(error.problem) || error.message, 'error');
    }
  });
  return control;
}

function unlockButton(user, reload) {
  const button = h(
    'button',
    { type: 'button', class: 'btn btn-small', 'aria-label': `Unlock ${user.name}` },
    'Unlock',
  );
  button.addEventListener('click', () =>
    busy(button, async () => {
      try {
        await api(`/v1/users/${user.id}/unlock`, { method: 'POST' });
        flash(`${user.name} can sign in again.`);
        reload();
      } catch (error) {
        flash(plainDetail(error.problem) || error.message, 'error');
      }
    }),
  );
  return button;
}

function disableButton(user, reload) {
  if (user.id === session.user?.id) return null;
  const disable = !user.disabled;
  const button = h(
    'button',
    {
      type: 'button',
      class: `btn btn-small${disable ? ' btn-danger' : ''}`,
      'aria-label': `${disable ? 'Disable' : 'Enable'} ${user.name}`,
    },
    disable ? 'Disable' : 'Enable',
  );
  button.addEventListener('click', () => {
    if (disable && !confirm(`Disable ${user.name}? They are signed out at once and cannot sign in.`)) return;
    void busy(button, async () => {
      try {
        await api(`/v1/users/${user.id}`, { method: 'PATCH', json: { disabled: disable } });
        flash(disable ? `${user.name} is disabled and signed out.` : `${user.name} can sign in again.`);
        reload();
      } catch (error) {
        flash(plainDetail(error.problem) || error.message, 'error');
      }
    });
  });
  return button;
}

function inviteForm(reload) {
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Invite');
  const reveal = h('div', {
    class: 'secret-box',
    hidden: true,
    tabindex: '-1',
    role: 'region',
    'aria-label': 'Temporary password',
  });
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'invite-title' },
    h('h2', { id: 'invite-title' }, 'Invite a user'),
    h(
      'p',
      { class: 'muted' },
      'The gateway sends no email: a temporary password is shown once here. Give it to the person yourself.',
    ),
    errorSummary(),
    field('Name', h('input', { name: 'name', required: true, maxlength: '120', autocomplete: 'off' })),
    field('Email', h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' })),
    field('Role', select('role', ROLE_OPTIONS, 'viewer')),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    await busy(submit, async () => {
      try {
        const created = await api('/v1/users', {
          method: 'POST',
          json: { name: values.name ?? '', email: values.email ?? '', role: values.role },
        });
        form.reset();
        reveal.hidden = false;
        mount(
          reveal,
          h('h3', null, `${created.name} is invited as ${label('role', created.role)}`),
          h('p', null, 'Their temporary password, shown only this once:'),
          h(
            'p',
            null,
            h('code', { class: 'secret', 'data-testid': 'temporary-password' }, created.temporary_password),
            ' ',
            copyButton(created.temporary_password),
          ),
          h(
            'button',
            { type: 'button', class: 'btn btn-small', onclick: reload },
            'Done, I have handed it over',
          ),
        );
        reveal.focus();
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return h('div', null, form, reveal);
}
