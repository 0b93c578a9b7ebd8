// API keys for automation platforms: list, create (the key is shown once), revoke.
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
  h,
  mount,
  pageHeading,
  plainDetail,
  relativeTime,
  showErrors,
  table,
} from '../lib.js';

/** Scopes a key may carry, with what they allow. */
const KEY_SCOPES = [
  ['consent:read', 'Read consent and check before sending'],
  ['consent:write', 'Record consent events'],
  ['subjects:read', 'Read a person’s timeline'],
  ['connections:read', 'Read connections'],
  ['connections:admin', 'Manage connections'],
  ['deliveries:read', 'Read deliveries'],
  ['deliveries:retry', 'Retry deliveries'],
  ['registry:read', 'Read the vendor registry'],
  ['registry:write', 'Change the vendor registry'],
  ['audit:read', 'Read the audit log'],
  ['overview:read', 'Read the overview numbers'],
  ['metrics:read', 'Read Prometheus metrics'],
  ['inbox:admin', 'Replay the inbox'],
  ['keys:admin', 'Manage API keys'],
];

const SCOPE_WORDS = {
  ...Object.fromEntries(KEY_SCOPES),
  'users:admin': 'Manage console users',
  'requests:read': 'Read data-subject requests',
  'requests:write': 'Handle data-subject requests',
  'requests:verify': 'Record how a requester was verified',
};

/** Active (until when), expired (since when) or revoked: in words, never colour alone. */
function keyStatus(key) {
  if (key.revoked_at) return badge('revoked', `Revoked ${formatDate(key.revoked_at, false)}`);
  if (key.status === 'expired' || (key.expires_at && new Date(key.expires_at) <= new Date()))
    return badge('expired', `Expired ${relativeTime(key.expires_at)}`);
  if (key.expires_at)
    return h(
      'span',
      null,
      badge('active', 'Active'),
      ` until ${formatDate(key.expires_at)} (${relativeTime(key.expires_at)})`,
    );
  return h('span', null, badge('active', 'Active'), ' no expiry');
}

export async function renderApiKeys(root, { navigate }) {
  mount(root, pageHeading('API keys'), h('p', { class: 'muted' }, 'Loading…'));
  let keys;
  try {
    keys = (await api('/v1/api-keys')).api_keys;
  } catch (error) {
    mount(root, pageHeading('API keys'), errorNotice(error));
    return;
  }
  const rows = keys.map((k) => {
    const revoke = k.revoked_at
      ? null
      : h(
          'button',
          { type: 'button', class: 'btn btn-small btn-danger', 'aria-label': `Revoke ${k.name}` },
          'Revoke',
        );
    revoke?.addEventListener('click', () => {
      if (!confirm(`Revoke the key “${k.name}”? Clients using it stop working at once.`)) return;
      void busy(revoke, async () => {
        try {
          await api(`/v1/api-keys/${k.id}`, { method: 'DELETE' });
          flash(`Key ${k.name} revoked.`);
          navigate('/api-keys', { replace: true });
        } catch (error) {
          flash(plainDetail(error.problem) || error.message, 'error');
        }
      });
    });
    return [
      k.name,
      h('code', null, `cgk_${k.prefix}…`),
      h('span', { class: 'scopes' }, k.scopes.map((scope) => SCOPE_WORDS[scope] ?? scope).join('; ')),
      formatDate(k.created_at),
      k.last_used_at ? formatDate(k.last_used_at) : 'Never',
      keyStatus(k),
      revoke,
    ];
  });
  mount(
    root,
    pageHeading('API keys'),
    table(
      `API keys (${keys.length})`,
      ['Name', 'Key', 'May', 'Created', 'Last used', 'Status', 'Actions'],
      rows,
    ),
    createForm(navigate),
  );
}

function createForm(navigate) {
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create key');
  const reveal = h('div', {
    class: 'secret-box',
    hidden: true,
    tabindex: '-1',
    role: 'region',
    'aria-label': 'New API key',
  });
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'new-key-title' },
    h('h2', { id: 'new-key-title' }, 'Create an API key'),
    errorSummary(),
    field(
      'Name',
      h('input', { name: 'name', required: true, maxlength: '100', placeholder: 'zapier production' }),
    ),
    field(
      'Expires on (optional)',
      h('input', { type: 'date', name: 'expires_at', min: tomorrowInput() }),
      'The key stops working at the end of this day. Leave empty for a key without expiry.',
    ),
    h(
      'fieldset',
      { class: 'checks', id: 'scopes', 'data-field': 'scopes' },
      h('legend', null, 'Scopes (give only what the client needs)'),
      KEY_SCOPES.map(([scope, label]) => {
        const id = `scope-${scope.replace(':', '-')}`;
        return h(
          'div',
          { class: 'check' },
          h('input', {
            type: 'checkbox',
            id,
            name: 'scopes',
            value: scope,
            checked: scope === 'consent:read',
          }),
          h('label', { for: id }, h('code', null, scope), ` — ${label}`),
        );
      }),
      h('p', { class: 'field-error', id: 'scopes-error', hidden: true }),
    ),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const data = new FormData(form);
    const body = { name: String(data.get('name') ?? '').trim(), scopes: data.getAll('scopes').map(String) };
    const expires = String(data.get('expires_at') ?? '');
    if (expires) body.expires_at = endOfDay(expires);
    await busy(submit, async () => {
      try {
        const created = await api('/v1/api-keys', { method: 'POST', json: body });
        form.reset();
        reveal.hidden = false;
        mount(
          reveal,
          h('h3', null, `New key “${created.name}”`),
          h('p', null, 'Copy it now: it is shown only this once and cannot be recovered.'),
          h(
            'p',
            null,
            h('code', { class: 'secret', 'data-testid': 'new-key' }, created.key),
            ' ',
            copyButton(created.key),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small',
              onclick: () => navigate('/api-keys', { replace: true }),
            },
            'Done, I have saved it',
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

/** The last second of a calendar day in the user's time zone, as ISO (a bad value passes through). */
function endOfDay(value) {
  const d = new Date(`${value}T23:59:59`);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}

function tomorrowInput() {
  const d = new Date(Date.now() + 86_400_000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
