// Console users: who may sign in, with what role; an admin lifts a sign-in lockout here.
import {
  api,
  badge,
  busy,
  errorNotice,
  flash,
  formatDate,
  h,
  mount,
  pageHeading,
  ROLE_NAMES,
  table,
} from '../lib.js';

export async function renderUsers(root, { navigate }) {
  mount(root, pageHeading('Users'), h('p', { class: 'muted' }, 'Loading…'));
  let users;
  try {
    users = (await api('/v1/users')).users;
  } catch (error) {
    mount(root, pageHeading('Users'), errorNotice(error));
    return;
  }
  const rows = users.map((u) => [
    u.name,
    u.email,
    ROLE_NAMES[u.role] ?? u.role,
    formatDate(u.last_login_at),
    status(u),
    u.locked_until ? unlockButton(u, navigate) : null,
  ]);
  mount(
    root,
    pageHeading('Users'),
    h(
      'p',
      { class: 'muted' },
      'After repeated failed sign-ins an account is locked for a while; unlock it once you know the person.',
    ),
    table(`Users (${users.length})`, ['Name', 'Email', 'Role', 'Last sign-in', 'Status', ''], rows),
  );
}

function status(user) {
  if (user.disabled) return badge('disabled');
  if (user.locked_until) return badge('locked', `Locked until ${formatDate(user.locked_until)}`);
  return badge('active');
}

function unlockButton(user, navigate) {
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
        navigate('/users', { replace: true });
      } catch (error) {
        flash(error.message, 'error');
      }
    }),
  );
  return button;
}
