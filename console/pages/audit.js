// Audit log: who did what, when and from where, with the verification of the hash chain.
import { api, badge, errorNotice, formatDate, h, humanize, mount, pageHeading, table } from '../lib.js';

export async function renderAudit(root, { params, navigate }) {
  mount(root, pageHeading('Audit log'), h('p', { class: 'muted' }, 'Loading…'));
  const query = new URLSearchParams();
  for (const key of ['before', 'actor', 'action']) if (params.get(key)) query.set(key, params.get(key));
  let body;
  try {
    body = await api(`/v1/audit${query.size ? `?${query}` : ''}`);
  } catch (error) {
    mount(root, pageHeading('Audit log'), errorNotice(error));
    return;
  }
  const chain = body.chain ?? {};
  const events = body.events ?? [];
  const chainNotice = chain.valid
    ? h(
        'div',
        { class: 'notice notice-ok', role: 'status' },
        badge('valid', 'Chain intact'),
        ` Every one of the ${chain.checked ?? 0} entries verified links to the one before it under the chain key. Entries are verified as they arrive; the whole log is walked again daily.`,
      )
    : h(
        'div',
        { class: 'notice notice-error', role: 'alert' },
        badge('dead', 'Chain broken'),
        ` The hash chain does not verify${chain.first_broken_seq ? ` at entry ${chain.first_broken_seq}` : ''} (${chain.checked ?? 0} checked). Entries may have been altered or removed.`,
      );
  const more = body.next_before
    ? h(
        'p',
        null,
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            onclick: () => navigate(`/audit?before=${encodeURIComponent(body.next_before)}`),
          },
          'Older entries',
        ),
      )
    : null;
  mount(
    root,
    pageHeading('Audit log'),
    chainNotice,
    table(
      `Audit entries (${events.length})`,
      ['When', 'Who', 'Action', 'Target', 'From', 'Details'],
      events.map((e) => [
        h('time', { datetime: e.at }, formatDate(e.at)),
        actorLabel(e.actor),
        humanize(e.action),
        targetLabel(e.target),
        e.ip ?? '—',
        e.details && Object.keys(e.details).length
          ? h(
              'details',
              null,
              h('summary', null, 'Show'),
              h('pre', { class: 'mono' }, JSON.stringify(e.details, null, 2)),
            )
          : '—',
      ]),
      { class: 'audit-table' },
    ),
    more,
  );
}

function targetLabel(target) {
  if (!target) return '—';
  if (typeof target === 'string') return h('code', null, target);
  if (target.type && target.id) return h('span', null, `${target.type} `, h('code', null, target.id));
  return h('code', null, JSON.stringify(target));
}

function actorLabel(actor) {
  if (!actor) return '—';
  if (typeof actor === 'string') return actor;
  return actor.email ?? actor.name ?? actor.id ?? JSON.stringify(actor);
}
