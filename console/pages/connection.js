// One connection: what it is and where it sends changes, the import of existing records (run it again, with its
// progress), the records that could not be matched, its settings and mapping, and disconnecting it.
import {
  api,
  ApiError,
  badge,
  busy,
  can,
  copyButton,
  errorNotice,
  flash,
  forbiddenMessage,
  formatDate,
  h,
  link,
  mount,
  pageHeading,
} from '../lib.js';
import {
  erasureLabel,
  settingsForm,
  STATUS_LABELS,
  TYPE_LABELS,
  unmatchedRecords,
} from './connection-parts.js';

/** How often a running import is asked for its progress. */
const PROGRESS_POLL_MS = 1000;

export async function renderConnection(root, { match, navigate, isCurrent }) {
  const id = match[1];
  mount(root, pageHeading('Connection'), h('p', { class: 'muted' }, 'Loading…'));
  let c;
  try {
    c = await api(`/v1/connections/${encodeURIComponent(id)}`);
  } catch (error) {
    mount(root, pageHeading('Connection'), errorNotice(error), backLink());
    return;
  }
  const admin = can('connections:admin');
  const live = c.status !== 'disconnected';
  const reload = () => navigate(`/connections/${c.id}`, { replace: true });
  mount(
    root,
    pageHeading(c.name),
    backLink(),
    facts(c),
    c.type === 'webhook' ? null : backfillSection(c, admin && live, isCurrent),
    c.type === 'webhook' ? null : unmatchedRecords(c, { open: true }),
    admin && live ? settingsForm(c, { onSaved: reload, open: true }) : null,
    admin && live ? disconnectSection(c, reload) : null,
  );
}

const backLink = () =>
  h('p', null, link('/console/connections', 'All connections', { class: 'btn btn-small btn-quiet' }));

function facts(c) {
  const test = c.last_test_result;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'facts-title' },
    h('h2', { id: 'facts-title' }, 'About this connection'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', null, 'Status'),
      h('dd', null, badge(c.status, STATUS_LABELS[c.status] ?? 'Unknown')),
      h('dt', null, 'Kind'),
      h('dd', null, TYPE_LABELS[c.type] ?? 'Unknown'),
      h('dt', null, 'Vendor'),
      h(
        'dd',
        null,
        can('registry:read') ? link(`/console/vendors/${c.vendor_id}`, c.vendor_name) : c.vendor_name,
      ),
      c.type === 'webhook'
        ? [
            h('dt', null, 'Endpoint URL'),
            h(
              'dd',
              null,
              c.endpoint_url
                ? [h('code', null, c.endpoint_url), ' ', copyButton(c.endpoint_url, 'Copy URL')]
                : '—',
            ),
          ]
        : [
            h('dt', null, c.type === 'hubspot' ? 'HubSpot portal' : 'Salesforce org'),
            h('dd', null, c.external_account_id ?? 'not known yet'),
          ],
      h('dt', null, 'Erasure'),
      h('dd', null, erasureLabel(c.erasure_mode)),
      c.base_url ? [h('dt', null, 'API host'), h('dd', null, c.base_url)] : null,
      h('dt', null, 'Connected'),
      h('dd', null, formatDate(c.created_at)),
      c.disconnected_at
        ? [h('dt', null, 'Disconnected'), h('dd', null, formatDate(c.disconnected_at))]
        : null,
      h('dt', null, 'Last test'),
      h(
        'dd',
        null,
        c.last_test_at
          ? `${formatDate(c.last_test_at)}: ${test?.ok ? 'passed' : `failed${test?.detail ? ` (${test.detail})` : ''}`}`
          : 'never',
      ),
      c.last_error ? [h('dt', null, 'Last error'), h('dd', { class: 'text-bad' }, c.last_error)] : null,
    ),
  );
}

const RUN_LABELS = { running: 'Running', completed: 'Finished', failed: 'Failed', cancelled: 'Stopped' };
const RUN_TONES = { running: 'in_progress', completed: 'succeeded', failed: 'dead', cancelled: 'cancelled' };

/** The import of existing records: the latest run with a progress bar, and a button to run it again. */
function backfillSection(c, canRun, isCurrent) {
  const status = h('div', { class: 'backfill-status', role: 'status', 'aria-live': 'polite' });
  const run = h('button', { type: 'button', class: 'btn btn-small' }, 'Run the import again');
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'backfill-title' },
    h('h2', { id: 'backfill-title' }, 'Import of existing records'),
    h(
      'p',
      { class: 'muted' },
      `Reads every contact at ${TYPE_LABELS[c.type]} and records the consent it shows. Running it again is safe: what is already recorded is not recorded twice.`,
    ),
    status,
    canRun ? h('div', { class: 'row-actions' }, run) : null,
  );
  let timer = null;
  const show = (backfill) => {
    mount(status, progressView(backfill));
    run.disabled = backfill?.status === 'running';
    clearTimeout(timer);
    // Keep asking while the run goes on and this page is still the one shown.
    if (backfill?.status === 'running' && isCurrent())
      timer = setTimeout(() => void refresh(), PROGRESS_POLL_MS);
  };
  const refresh = async () => {
    if (!isCurrent()) return;
    try {
      show((await api(`/v1/connections/${c.id}/backfill`)).backfill);
    } catch (error) {
      mount(status, errorNotice(error));
    }
  };
  run.addEventListener('click', () =>
    busy(run, async () => {
      try {
        show(await api(`/v1/connections/${c.id}/backfill`, { method: 'POST' }));
      } catch (error) {
        mount(status, errorNotice(error));
      }
    }),
  );
  void refresh();
  return section;
}

function progressView(backfill) {
  if (!backfill) return h('p', null, 'The import has not run yet.');
  const total = backfill.contacts_total;
  const seen = backfill.contacts_seen;
  const done = backfill.status === 'completed';
  const bar = h('progress', {
    id: `backfill-progress-${backfill.id}`,
    max: total ? String(total) : done ? '1' : null,
    value: total ? String(Math.min(seen, total)) : done ? '1' : null,
    'aria-label': 'Import progress',
  });
  const counted = total
    ? `${seen} of ${total} contacts read`
    : `${seen} ${seen === 1 ? 'contact' : 'contacts'} read`;
  return [
    h(
      'p',
      null,
      badge(RUN_TONES[backfill.status] ?? 'neutral', RUN_LABELS[backfill.status] ?? 'Unknown'),
      ' ',
      `${counted}, ${backfill.events_recorded} consent ${backfill.events_recorded === 1 ? 'change' : 'changes'} recorded.`,
    ),
    bar,
    h(
      'p',
      { class: 'muted' },
      `Started ${formatDate(backfill.started_at)}`,
      backfill.completed_at ? `, ended ${formatDate(backfill.completed_at)}` : '',
      '.',
    ),
    backfill.last_error
      ? h('p', { class: 'text-bad' }, `The vendor answered with an error: ${backfill.last_error}`)
      : null,
  ];
}

/** Disconnecting asks first, in place: propagation stops for good (connecting again makes a new connection). */
function disconnectSection(c, reload) {
  const start = h('button', { type: 'button', class: 'btn btn-small btn-danger' }, 'Disconnect…');
  const confirmBox = h('div', {
    class: 'notice notice-warn',
    role: 'group',
    'aria-labelledby': 'disconnect-question',
    hidden: true,
  });
  const result = h('div', { role: 'status' });
  const yes = h('button', { type: 'button', class: 'btn btn-small btn-danger' }, `Disconnect ${c.name}`);
  const no = h('button', { type: 'button', class: 'btn btn-small' }, 'Keep it connected');
  mount(
    confirmBox,
    h('p', { id: 'disconnect-question' }, h('strong', null, `Disconnect ${c.name}?`)),
    h(
      'p',
      null,
      'Consent changes stop going to it, and changes waiting for it are dropped. Erasures still reach it while its credentials work. To use it again you connect it anew.',
    ),
    h('div', { class: 'row-actions' }, yes, no),
  );
  start.addEventListener('click', () => {
    confirmBox.hidden = false;
    start.hidden = true;
    no.focus();
  });
  no.addEventListener('click', () => {
    confirmBox.hidden = true;
    start.hidden = false;
    start.focus();
  });
  yes.addEventListener('click', () =>
    busy(yes, async () => {
      try {
        await api(`/v1/connections/${c.id}`, { method: 'DELETE' });
        flash(`${c.name} disconnected.`);
        reload();
      } catch (error) {
        mount(
          result,
          h(
            'p',
            { class: 'text-bad' },
            error instanceof ApiError && error.status === 403 ? forbiddenMessage(error) : error.message,
          ),
        );
      }
    }),
  );
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'disconnect-title' },
    h('h2', { id: 'disconnect-title' }, 'Disconnect'),
    start,
    confirmBox,
    result,
  );
}
