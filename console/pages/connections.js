// Connections: every connected account; connect HubSpot or Salesforce by OAuth, add a webhook processor,
// test, pause or resume, edit the mapping, the erasure mode and the phone region; see the CRM records whose
// values could not be matched to a person.
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
  humanize,
  link,
  mount,
  pageHeading,
  select,
  showErrors,
  table,
  forbiddenMessage,
  ApiError,
} from '../lib.js';

const ERASURE_MODES = [
  ['vendor_gdpr_delete', 'Vendor GDPR delete (recommended)'],
  ['hard_delete', 'Hard delete'],
  ['mask_fields', 'Mask the fields'],
];

export async function renderConnections(root, { params, navigate }) {
  const connectedId = params.get('connected');
  mount(root, pageHeading('Connections'), h('p', { class: 'muted' }, 'Loading…'));
  const [connections, vendors] = await Promise.allSettled([
    api('/v1/connections'),
    // Attaching a connection to an existing vendor (and its DPA) needs registry:write; others get a new vendor.
    can('registry:write') && can('connections:admin') ? api('/v1/vendors') : Promise.resolve(null),
  ]);
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
          ? `Connected ${c.name} (${humanize(c.type)}${c.external_account_id ? `, account ${c.external_account_id}` : ''}).`
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
        `The connection was not made: ${params.get('error_description') ?? humanize(oauthError)}.`,
      ),
    );
  }
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
        oauthForm('hubspot', 'HubSpot', vendorOptions),
        oauthForm('salesforce', 'Salesforce', vendorOptions),
      ),
      webhookForm(vendorOptions, navigate),
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
      badge(c.status),
      h('span', { class: 'muted' }, `${humanize(c.type)} · ${c.vendor_name ?? 'vendor'}`),
    ),
    h(
      'dl',
      { class: 'facts facts-inline' },
      h('dt', null, 'Account'),
      h('dd', null, c.external_account_id ?? '—'),
      h('dt', null, 'Erasure'),
      h('dd', null, humanize(c.erasure_mode)),
      c.type === 'webhook'
        ? null
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
    admin && c.status !== 'disconnected' ? settingsForm(c, navigate) : null,
  );
}

/** "Records we could not match": loaded when opened; where the problem is and why, never the value. */
function unmatchedRecords(c) {
  const body = h('div', { class: 'unmatched' }, h('p', { class: 'muted' }, 'Loading…'));
  const details = h('details', { class: 'settings' }, h('summary', null, 'Records we could not match'), body);
  let loaded = false;
  details.addEventListener('toggle', async () => {
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const { counts, records } = await api(`/v1/connections/${c.id}/unmatched`);
      const summary = Object.entries(counts)
        .map(([reason, n]) => `${n} ${humanize(reason).toLowerCase()}`)
        .join(', ');
      mount(
        body,
        h('p', null, summary || 'Every record this connection has seen could be matched.'),
        records.length
          ? table(
              `Records of ${c.name} that could not be matched`,
              ['Record', 'Type', 'Field', 'Reason', 'Last seen'],
              records.map((r) => [
                r.remote_id,
                r.record_type,
                r.field,
                humanize(r.reason),
                formatDate(r.last_seen_at),
              ]),
            )
          : null,
      );
    } catch (error) {
      loaded = false;
      mount(body, errorNotice(error));
    }
  });
  return details;
}

function settingsForm(c, navigate) {
  const submit = h('button', { type: 'submit', class: 'btn btn-small btn-primary' }, 'Save settings');
  const mapping = h('textarea', { name: 'mapping', rows: '5', spellcheck: 'false', class: 'mono' });
  mapping.value = JSON.stringify(c.mapping ?? {}, null, 2);
  const form = h(
    'form',
    { novalidate: true },
    errorSummary(),
    field('Erasure mode', select('erasure_mode', ERASURE_MODES, c.erasure_mode)),
    c.type === 'webhook'
      ? null
      : field(
          'Phone region',
          h('input', { name: 'phone_region', value: c.phone_region ?? '', maxlength: '2', size: '3' }),
          'Where this account\'s national numbers ("0151 2345678") were typed, e.g. DE; empty: the gateway default.',
        ),
    field('Field mapping (JSON)', mapping, 'Merged into the current mapping.'),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    let parsed;
    try {
      parsed = JSON.parse(mapping.value || '{}');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
    } catch {
      showErrors(
        form,
        new ApiError(400, {
          detail: 'The mapping is not valid JSON.',
          errors: [{ field: 'mapping', message: 'must be a JSON object' }],
        }),
      );
      return;
    }
    await busy(submit, async () => {
      try {
        await api(`/v1/connections/${c.id}`, {
          method: 'PATCH',
          json: {
            erasure_mode: formValues(form).erasure_mode,
            mapping: parsed,
            ...(c.type === 'webhook' ? {} : { phone_region: formValues(form).phone_region?.trim() || null }),
          },
        });
        flash(`Settings of ${c.name} saved.`);
        navigate('/connections', { replace: true });
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return h(
    'details',
    { class: 'settings' },
    h('summary', null, 'Mapping, erasure mode and phone region'),
    form,
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

/** OAuth: the browser goes to the gateway's authorize URL, then the vendor, then back to this page. */
function oauthForm(type, label, vendors) {
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, `Connect ${label}`);
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'aria-labelledby': `connect-${type}-title` },
    h('h2', { id: `connect-${type}-title` }, `Connect ${label}`),
    h('p', { class: 'muted' }, `You will sign in at ${label} and approve access; then you come back here.`),
    errorSummary(),
    field(
      'Connection name',
      h('input', { name: 'name', required: true, maxlength: '120', value: `${label}` }),
    ),
    vendorSelect(vendors, `A new vendor record for this ${label} account`),
    h(
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
    ),
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
    const query = new URLSearchParams(values);
    submit.disabled = true;
    location.assign(`/v1/connections/oauth/${type}/authorize?${query}`);
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
