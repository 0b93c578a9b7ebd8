// Connections: every connected account; connect HubSpot by private-app token or by signing in (OAuth),
// Salesforce by signing in, add a webhook processor; test, pause or resume. Each connection's own page
// (connection.js) runs the import again, lists the records that could not be matched, edits the mapping and
// disconnects.
import {
  api,
  badge,
  busy,
  can,
  clearErrors,
  copyButton,
  errorNotice,
  errorSummary,
  field,
  flash,
  formatDate,
  formValues,
  h,
  link,
  mount,
  pageHeading,
  select,
  showErrors,
  forbiddenMessage,
  ApiError,
} from '../lib.js';
import {
  erasureLabel,
  settingsForm,
  STATUS_LABELS,
  TYPE_LABELS,
  unmatchedRecords,
} from './connection-parts.js';

export async function renderConnections(root, { params, navigate }) {
  const connectedId = params.get('connected');
  mount(root, pageHeading('Connections'), h('p', { class: 'muted' }, 'Loading…'));
  const [connections, vendors, providers] = await Promise.allSettled([
    api('/v1/connections'),
    // Attaching a connection to an existing vendor (and its DPA) needs registry:write; others get a new vendor.
    can('registry:write') && can('connections:admin') ? api('/v1/vendors') : Promise.resolve(null),
    // Which OAuth flows the gateway can offer: a button that would end on a refusal is not shown.
    can('connections:admin') ? api('/v1/connections/oauth/providers') : Promise.resolve(null),
  ]);
  const oauth = new Map(
    (providers.status === 'fulfilled' && providers.value ? providers.value.providers : []).map((p) => [
      p.type,
      p,
    ]),
  );
  const vendorOptions = vendors.status === 'fulfilled' && vendors.value ? (vendors.value.vendors ?? []) : [];
  const parts = [pageHeading('Connections')];
  const list = connections.status === 'fulfilled' ? connections.value.connections : [];
  if (connectedId) {
    const c = list.find((x) => x.id === connectedId);
    parts.push(
      h(
        'div',
        { class: 'notice notice-ok', role: 'status' },
        c
          ? `Connected ${c.name} (${TYPE_LABELS[c.type]}${c.external_account_id ? `, account ${c.external_account_id}` : ''}).`
          : 'The account was connected.',
      ),
    );
  }
  const oauthError = params.get('oauth_error') ?? params.get('error');
  if (oauthError) {
    parts.push(
      h(
        'div',
        { class: 'notice notice-error', role: 'alert' },
        `The connection was not made: ${params.get('error_description') ?? 'the vendor did not approve it'}.`,
      ),
    );
  }
  const duplicateOf = params.get('duplicate_of');
  if (duplicateOf)
    parts.push(
      duplicateNotice(
        params,
        list.find((x) => x.id === duplicateOf),
      ),
    );
  if (connections.status === 'rejected') parts.push(errorNotice(connections.reason));
  else if (list.length === 0) parts.push(h('p', { class: 'muted' }, 'No account is connected yet.'));
  else
    parts.push(
      h(
        'ul',
        { class: 'connection-list', 'aria-label': 'Connected accounts' },
        list.map((c) => connectionCard(c, c.id === connectedId, navigate)),
      ),
    );

  if (can('connections:admin')) {
    parts.push(
      h(
        'div',
        { class: 'grid-2' },
        tokenForm(vendorOptions, list, navigate),
        oauthForm('hubspot', 'HubSpot', vendorOptions, oauth.get('hubspot')),
      ),
      h(
        'div',
        { class: 'grid-2' },
        oauthForm('salesforce', 'Salesforce', vendorOptions, oauth.get('salesforce')),
        webhookForm(vendorOptions, navigate),
      ),
    );
  }
  mount(root, parts);
  if (connectedId)
    root
      .querySelector(`[data-connection="${CSS.escape(connectedId)}"]`)
      ?.scrollIntoView({ block: 'nearest' });
}

function connectionCard(c, highlighted, navigate) {
  const admin = can('connections:admin');
  const actions = [];
  const test = h('button', { type: 'button', class: 'btn btn-small' }, 'Test connection');
  const result = h('p', { class: 'test-result', role: 'status' });
  test.addEventListener('click', () =>
    busy(test, async () => {
      try {
        const r = await api(`/v1/connections/${c.id}/test`, { method: 'POST' });
        const ok = r?.ok ?? r?.last_test_result?.ok;
        mount(
          result,
          badge(ok ? 'succeeded' : 'dead', ok ? 'Test passed' : 'Test failed'),
          ' ',
          r?.detail ?? '',
        );
      } catch (error) {
        mount(
          result,
          badge('dead', 'Test failed'),
          ' ',
          error instanceof ApiError && error.status === 403 ? forbiddenMessage(error) : error.message,
        );
      }
    }),
  );
  if (admin && c.status !== 'disconnected') {
    actions.push(test);
    const paused = c.status === 'paused';
    const toggle = h('button', { type: 'button', class: 'btn btn-small' }, paused ? 'Resume' : 'Pause');
    toggle.addEventListener('click', () =>
      busy(toggle, async () => {
        try {
          await api(`/v1/connections/${c.id}`, {
            method: 'PATCH',
            json: { status: paused ? 'active' : 'paused' },
          });
          flash(`${c.name} ${paused ? 'resumed' : 'paused'}.`);
          navigate('/connections', { replace: true });
        } catch (error) {
          mount(
            result,
            badge('dead', 'Not changed'),
            ' ',
            error instanceof ApiError && error.status === 403 ? forbiddenMessage(error) : error.message,
          );
        }
      }),
    );
    actions.push(toggle);
  }
  actions.push(
    link(`/console/connections/${c.id}`, 'Open', {
      class: 'btn btn-small btn-quiet',
      'aria-label': `Open ${c.name}`,
    }),
  );
  if (can('deliveries:read'))
    actions.push(
      link(`/console/deliveries?connection_id=${c.id}`, 'Deliveries', { class: 'btn btn-small btn-quiet' }),
    );
  const test_ = c.last_test_result;
  return h(
    'li',
    { class: `card connection${highlighted ? ' connection-new' : ''}`, 'data-connection': c.id },
    h(
      'div',
      { class: 'connection-head' },
      h('h2', { class: 'h3' }, c.name),
      badge(c.status, STATUS_LABELS[c.status] ?? 'Unknown'),
      h('span', { class: 'muted' }, `${TYPE_LABELS[c.type] ?? 'Unknown'} · ${c.vendor_name ?? 'vendor'}`),
    ),
    h(
      'dl',
      { class: 'facts facts-inline' },
      h('dt', null, 'Account'),
      h('dd', null, c.external_account_id ?? '—'),
      h('dt', null, 'Erasure'),
      h('dd', null, erasureLabel(c.erasure_mode)),
      c.type === 'webhook'
        ? [h('dt', null, 'Endpoint URL'), h('dd', null, c.endpoint_url ?? '—')]
        : [h('dt', null, 'Phone region'), h('dd', null, c.phone_region ?? 'default')],
      h('dt', null, 'Last test'),
      h(
        'dd',
        null,
        c.last_test_at
          ? `${formatDate(c.last_test_at)} — ${test_?.ok ? 'passed' : `failed${test_?.detail ? `: ${test_.detail}` : ''}`}`
          : 'never',
      ),
      c.base_url ? [h('dt', null, 'API host'), h('dd', null, c.base_url)] : null,
      c.last_error ? [h('dt', null, 'Last error'), h('dd', { class: 'text-bad' }, c.last_error)] : null,
    ),
    actions.length ? h('div', { class: 'row-actions' }, actions) : null,
    result,
    c.type === 'webhook' ? null : unmatchedRecords(c),
    admin && c.status !== 'disconnected'
      ? settingsForm(c, { onSaved: () => navigate('/connections', { replace: true }) })
      : null,
  );
}

function vendorSelect(vendors, defaultLabel) {
  if (!vendors.length) return null;
  return field(
    'Vendor',
    select('vendor_id', [['', defaultLabel], ...vendors.map((v) => [v.id, v.name])], ''),
    'The registry vendor whose processor this account is; its DPA governs what may be sent.',
  );
}

/** Starts an OAuth flow: the browser leaves for the gateway's authorize URL, the vendor, and comes back here. */
function startOAuth(type, values) {
  location.assign(`/v1/connections/oauth/${type}/authorize?${new URLSearchParams(values)}`);
}

/**
 * OAuth: offered only when the gateway has the vendor's app credentials; otherwise the card says, in place, what
 * an administrator must set (the browser would otherwise leave for a refusal).
 */
function oauthForm(type, label, vendors, provider) {
  const titleId = `connect-${type}-title`;
  const title = h('h2', { id: titleId }, `Connect ${label}`);
  if (provider && !provider.configured) {
    return h(
      'section',
      { class: 'card', 'aria-labelledby': titleId },
      title,
      h(
        'div',
        { class: 'notice notice-warn', role: 'note' },
        h('p', null, `Signing in with ${label} is not set up on this gateway.`),
        h(
          'p',
          null,
          `An administrator creates an app at ${label}, registers `,
          h('code', null, provider.redirect_uri),
          ' as its redirect URL, sets ',
          provider.missing.map((name, i) => [i ? ' and ' : '', h('code', null, name)]),
          ' in the gateway’s environment, and restarts the gateway.',
        ),
        type === 'hubspot' ? h('p', null, 'Until then, connect HubSpot with a private-app token.') : null,
      ),
    );
  }
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, `Connect ${label}`);
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': titleId },
    title,
    h('p', { class: 'muted' }, `You will sign in at ${label} and approve access; then you come back here.`),
    errorSummary(),
    field(
      'Connection name',
      h('input', { name: 'name', required: true, maxlength: '120', value: `${label}` }),
    ),
    vendorSelect(vendors, `A new vendor record for this ${label} account`),
    sandboxHosts(type),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    if (!values.name) {
      showErrors(
        form,
        new ApiError(400, {
          detail: 'Name the connection.',
          errors: [{ field: 'name', message: 'is required' }],
        }),
      );
      return;
    }
    submit.disabled = true;
    startOAuth(type, values);
  });
  return form;
}

function sandboxHosts(type) {
  return h(
    'details',
    null,
    h('summary', null, 'Sandbox host (optional)'),
    field(
      'API host',
      h('input', { name: 'base_url', type: 'url', placeholder: 'https://' }),
      'Only allow-listed sandbox hosts are accepted.',
    ),
    type === 'salesforce'
      ? field(
          'Login host',
          h('input', { name: 'login_url', type: 'url', placeholder: 'https://test.salesforce.com' }),
        )
      : null,
  );
}

/** The account is already connected: say by which connection, and offer to connect it a second time anyway. */
function duplicateQuestion(existing, accountNoun, onConfirm) {
  const yes = h('button', { type: 'button', class: 'btn btn-small' }, 'Connect it a second time');
  yes.addEventListener('click', () => busy(yes, onConfirm));
  return h(
    'div',
    { class: 'notice notice-warn', role: 'alert' },
    h(
      'p',
      null,
      `This ${accountNoun} is already connected as `,
      existing ? link(`/console/connections/${existing.id}`, `“${existing.name}”`) : 'another connection',
      '. A second connection sends every consent change to it twice.',
    ),
    h('p', null, 'Use the existing connection, or connect it a second time on purpose:'),
    h('div', { class: 'row-actions' }, yes),
  );
}

const ACCOUNT_NOUNS = { hubspot: 'HubSpot portal', salesforce: 'Salesforce org' };

/** Back from an OAuth flow whose account was already connected (the callback redirected here). */
function duplicateNotice(params, existing) {
  const type = params.get('type') === 'salesforce' ? 'salesforce' : 'hubspot';
  const values = { name: params.get('name') ?? TYPE_LABELS[type], allow_duplicate: 'true' };
  for (const key of ['base_url', 'login_url']) if (params.get(key)) values[key] = params.get(key);
  return duplicateQuestion(existing, ACCOUNT_NOUNS[type], async () => startOAuth(type, values));
}

/** HubSpot by private-app token: the token is sent once and sealed; it is never shown again. */
function tokenForm(vendors, list, navigate) {
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Connect with the token');
  const question = h('div');
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'token-title' },
    h('h2', { id: 'token-title' }, 'HubSpot private-app token'),
    h(
      'p',
      { class: 'muted' },
      'Create a private app in HubSpot (Settings › Integrations › Private apps) with the contact scopes, and paste its access token.',
    ),
    errorSummary(),
    field(
      'Connection name',
      h('input', { name: 'name', required: true, maxlength: '120', value: 'HubSpot' }),
    ),
    field(
      'Access token',
      h('input', {
        name: 'access_token',
        type: 'password',
        required: true,
        autocomplete: 'off',
        'data-field': 'credentials.access_token',
      }),
      'Starts with pat-. Stored encrypted; never shown again.',
    ),
    vendorSelect(vendors, 'A new vendor record for this HubSpot account'),
    sandboxHosts('hubspot'),
    question,
    h('div', { class: 'form-actions' }, submit),
  );
  const send = async (allowDuplicate) => {
    const values = formValues(form);
    const body = {
      type: 'hubspot',
      name: values.name ?? '',
      credentials: { access_token: values.access_token ?? '' },
    };
    if (values.base_url) body.base_url = values.base_url;
    if (values.vendor_id) body.vendor_id = values.vendor_id;
    if (allowDuplicate) body.allow_duplicate = true;
    try {
      const created = await api('/v1/connections', { method: 'POST', json: body });
      navigate(`/connections?connected=${created.id}`, { replace: true });
    } catch (error) {
      if (error instanceof ApiError && error.problem?.code === 'connection_duplicate') {
        const id = /connection ([0-9a-f-]{36})/.exec(error.problem.detail ?? '')?.[1];
        mount(
          question,
          duplicateQuestion(
            list.find((x) => x.id === id),
            ACCOUNT_NOUNS.hubspot,
            () => send(true),
          ),
        );
        question.querySelector('button')?.focus();
        return;
      }
      showErrors(form, error);
    }
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    question.replaceChildren();
    await busy(submit, () => send(false));
  });
  return form;
}

function webhookForm(vendors, navigate) {
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add webhook processor');
  const secretBox = h('div', {
    class: 'secret-box',
    hidden: true,
    role: 'region',
    'aria-label': 'Signing secret',
  });
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': 'webhook-title' },
    h('h2', { id: 'webhook-title' }, 'Add a webhook processor'),
    h('p', { class: 'muted' }, 'Changes are sent as Standard Webhooks, signed with a secret shown once.'),
    errorSummary(),
    field('Name', h('input', { name: 'name', required: true, maxlength: '120' })),
    field(
      'Endpoint URL',
      h('input', {
        name: 'url',
        type: 'url',
        required: true,
        placeholder: 'https://',
        'data-field': 'credentials.url',
      }),
    ),
    vendorSelect(vendors, 'A new vendor record named like the connection'),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    const body = { type: 'webhook', name: values.name ?? '', credentials: { url: values.url ?? '' } };
    if (values.vendor_id) body.vendor_id = values.vendor_id;
    await busy(submit, async () => {
      try {
        const created = await api('/v1/connections', { method: 'POST', json: body });
        form.reset();
        secretBox.hidden = false;
        mount(
          secretBox,
          h('h3', null, `Signing secret of ${created.name}`),
          h('p', null, 'Copy it now into the processor’s configuration: it will not be shown again.'),
          h(
            'p',
            null,
            h('code', { class: 'secret' }, created.signing_secret),
            ' ',
            copyButton(created.signing_secret),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'btn btn-small',
              onclick: () => navigate('/connections', { replace: true }),
            },
            'Done, I have saved it',
          ),
        );
        secretBox.setAttribute('tabindex', '-1');
        secretBox.focus();
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return h('div', null, form, secretBox);
}
