// Sign-in form. Wrong credentials, an unknown email and a locked account all answer the same 401 (telling
// them apart would enumerate accounts); the message mentions the lockout for the person who is locked out.
import { api, ApiError, busy, clearErrors, errorSummary, field, h, mount } from '../lib.js';

export function renderLogin(root, { onSignedIn }) {
  const email = h('input', {
    type: 'email',
    name: 'email',
    autocomplete: 'username',
    required: true,
    autofocus: true,
  });
  const password = h('input', {
    type: 'password',
    name: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Sign in');
  const summary = errorSummary();
  const form = h(
    'form',
    { class: 'card login-card', novalidate: true, 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', tabindex: '-1' }, 'Sign in to the console'),
    summary,
    field('Email', email),
    field('Password', password),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const problems = [];
    if (!email.value.trim()) problems.push('Enter your email.');
    if (!password.value) problems.push('Enter your password.');
    if (problems.length) return show(problems.join(' '), !email.value.trim() ? email : password);
    await busy(submit, async () => {
      try {
        const body = await api('/console/api/session', {
          method: 'POST',
          json: { email: email.value.trim(), password: password.value },
          allowUnauthenticated: true,
        });
        onSignedIn(body);
      } catch (error) {
        password.value = '';
        if (error instanceof ApiError && (error.status === 401 || error.status === 400)) {
          show(
            'The email or password is not right. After five failed attempts the account is locked for 15 minutes; an admin can unlock it.',
            password,
          );
        } else if (error instanceof ApiError && error.status === 429) {
          show('Too many attempts. Wait a moment and try again.', password);
        } else {
          show(error.message || 'Signing in failed.', password);
        }
      }
    });
  });

  function show(text, focus) {
    summary.hidden = false;
    mount(summary, h('p', null, text));
    focus.setAttribute('aria-invalid', 'true');
    focus.focus();
  }

  mount(root, h('div', { class: 'login-wrap' }, form));
  email.focus();
}
