// The overview's data-subject request panels: requests overdue, due this week and waiting on processors
// (each a link to the request), and the retention erasures coming up (who will be erased, and when).
import { api, badge, can, errorNotice, formatDate, h, humanize, link, table } from '../lib.js';
import { CLOSED_REQUEST_STATUSES, deadlineBadge } from './request-deadline.js';
import { TYPE_LABELS } from './requests.js';

const SHOWN = 5;

/** Loads and draws both panels (for roles with requests:read). */
export async function requestPanels() {
  const weekAhead = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const [summary, overdue, dueSoon, waiting, retention] = await Promise.allSettled([
    api('/v1/requests/summary'),
    api(`/v1/requests?overdue=true&limit=${SHOWN}`),
    api(`/v1/requests?${new URLSearchParams({ overdue: 'false', due_before: weekAhead, limit: '20' })}`),
    api(`/v1/requests?status=waiting_on_processors&limit=${SHOWN}`),
    api('/v1/retention/upcoming?within_days=90'),
  ]);
  return {
    requests: requestsPanel(summary, overdue, dueSoon, waiting),
    retention: retentionPanel(retention),
  };
}

function requestsPanel(summary, overdue, dueSoon, waiting) {
  const s = summary.status === 'fulfilled' ? summary.value : null;
  const open = (r) => !CLOSED_REQUEST_STATUSES.includes(r.status);
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'requests-panel-title' },
    h(
      'h2',
      { id: 'requests-panel-title' },
      'Data-subject requests',
      s ? [' ', badge(s.overdue ? 'overdue' : s.due_soon ? 'due_soon' : 'valid', `${s.open} open`)] : null,
    ),
    summary.status === 'rejected' ? errorNotice(summary.reason) : null,
    h(
      'div',
      { class: 'grid-3' },
      group('Overdue', 'overdue', overdue, s?.overdue, '/console/requests?view=overdue', open),
      // Counted from the list itself: the summary's due_soon is the API's own window, not this week.
      group('Due this week', 'due-soon', dueSoon, undefined, '/console/requests?view=due_week', open),
      group(
        'Waiting on processors',
        'waiting',
        waiting,
        s?.waiting_on_processors,
        '/console/requests?view=waiting',
        open,
      ),
    ),
    s && s.identity_verification
      ? h(
          'p',
          null,
          link(
            '/console/requests?view=verification',
            `${s.identity_verification} waiting for identity verification`,
          ),
        )
      : null,
  );
}

function group(title, id, result, count, href, keep) {
  if (result.status === 'rejected') {
    return h('div', { class: 'request-group' }, h('h3', null, title), errorNotice(result.reason));
  }
  const all = result.value.items.filter(keep);
  count ??= all.length;
  const items = all.slice(0, SHOWN);
  const heading = h('h3', { id: `requests-${id}-title` }, title, ` (${count})`);
  return h(
    'div',
    { class: 'request-group', 'data-group': id, role: 'group', 'aria-labelledby': `requests-${id}-title` },
    heading,
    items.length
      ? h(
          'ul',
          { class: 'plain-list request-list' },
          items.map((r) =>
            h(
              'li',
              null,
              link(
                `/console/requests/${r.id}`,
                `${TYPE_LABELS[r.type] ?? humanize(r.type)} ${r.id.slice(0, 8)}`,
              ),
              r.subject_masked ? h('span', { class: 'muted' }, ` ${r.subject_masked}`) : null,
              ' ',
              deadlineBadge(r, { withDate: false }),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'None.'),
    count > items.length ? h('p', null, link(href, `See all ${count}`)) : null,
  );
}

function retentionPanel(result) {
  const heading = h('h2', { id: 'retention-panel-title' }, 'Retention: to be erased when');
  if (result.status === 'rejected') {
    return h(
      'section',
      { class: 'card', 'aria-labelledby': 'retention-panel-title' },
      heading,
      errorNotice(result.reason),
    );
  }
  const r = result.value;
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'retention-panel-title' },
    heading,
    h(
      'p',
      { class: 'muted' },
      `People with no consent in force and no activity for ${r.inactive_months} months are erased automatically, with the same fan-out to every processor and the same proof as a requested erasure. Those due within 90 days:`,
    ),
    table(
      `Retention erasures within 90 days (${r.items.length})`,
      ['Person', 'Last activity', 'To be erased on'],
      r.items.map((i) => [
        can('subjects:read')
          ? link(`/console/people?subject_id=${i.subject_id}`, i.subject_masked ?? i.subject_id.slice(0, 8))
          : (i.subject_masked ?? h('code', null, i.subject_id.slice(0, 8))),
        formatDate(i.last_activity_at, false),
        h('time', { datetime: i.erase_on }, formatDate(i.erase_on, false)),
      ]),
      { class: 'retention-table' },
    ),
  );
}
