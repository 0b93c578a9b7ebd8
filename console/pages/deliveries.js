// Deliveries: the proof of propagation per connection; dead ones can be retried.
import {
  api,
  ApiError,
  badge,
  busy,
  can,
  errorNotice,
  field,
  flash,
  forbiddenMessage,
  formatDate,
  formValues,
  h,
  humanize,
  mount,
  pageHeading,
  select,
  table,
} from '../lib.js';

const STATUSES = ['dead', 'skipped', 'retrying', 'pending', 'in_progress', 'succeeded'];

export async function renderDeliveries(root, { params, navigate }) {
  mount(root, pageHeading('Deliveries'), h('p', { class: 'muted' }, 'Loading…'));
  let connections;
  try {
    connections = (await api('/v1/connections')).connections;
  } catch (error) {
    mount(root, pageHeading('Deliveries'), errorNotice(error));
    return;
  }
  const connectionId = params.get('connection_id') ?? connections[0]?.id ?? '';
  const status = params.has('status') ? params.get('status') : 'dead';
  const filter = h(
    'form',
    { class: 'filters', 'aria-label': 'Choose deliveries' },
    field(
      'Connection',
      select(
        'connection_id',
        connections.map((c) => [c.id, `${c.name} (${humanize(c.type)})`]),
        connectionId,
      ),
    ),
    field('Status', select('status', [['', 'Any status'], ...STATUSES.map((s) => [s, humanize(s)])], status)),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, 'Show')),
  );
  filter.addEventListener('submit', (e) => {
    e.preventDefault();
    const v = formValues(filter);
    navigate(
      `/deliveries?${new URLSearchParams({ connection_id: v.connection_id ?? '', status: v.status ?? '' })}`,
    );
  });
  if (!connectionId) {
    mount(
      root,
      pageHeading('Deliveries'),
      h('p', { class: 'muted' }, 'No connection yet, so nothing has been delivered.'),
    );
    return;
  }
  let content;
  try {
    const query = new URLSearchParams({ connection_id: connectionId, limit: '200' });
    if (status) query.set('status', status);
    const body = await api(`/v1/deliveries?${query}`);
    content = deliveriesTable(
      body.deliveries,
      `${humanize(status || 'all')} deliveries to ${connections.find((c) => c.id === connectionId)?.name ?? 'this connection'}`,
    );
  } catch (error) {
    content = errorNotice(error);
  }
  mount(root, pageHeading('Deliveries'), filter, content);
}

/** A table of deliveries with a retry button on dead and skipped ones (for roles that may retry). */
export function deliveriesTable(deliveries, caption) {
  const retry = (d) => {
    if (!can('deliveries:retry') || !['dead', 'skipped'].includes(d.status)) return null;
    const button = h(
      'button',
      { type: 'button', class: 'btn btn-small', 'aria-label': `Retry delivery ${d.id.slice(0, 8)}` },
      'Retry',
    );
    button.addEventListener('click', () =>
      busy(button, async () => {
        try {
          await api(`/v1/deliveries/${d.id}/retry`, { method: 'POST' });
          flash('Delivery queued again.');
          const row = button.closest('tr');
          const cell = row?.querySelector('[data-status]');
          if (cell) mount(cell, badge('pending'));
          button.remove();
        } catch (error) {
          flash(
            error instanceof ApiError && error.status === 403 ? forbiddenMessage(error) : error.message,
            'error',
          );
        }
      }),
    );
    return button;
  };
  return table(
    `${caption} (${deliveries.length})`,
    ['Delivery', 'Connection', 'Operation', 'Status', 'Attempts', 'Last error', 'Created', 'Completed', ''],
    deliveries.map((d) => [
      h('code', { title: d.id }, d.id.slice(0, 8)),
      d.connection_name ?? '—',
      humanize(d.operation),
      h(
        'span',
        { 'data-status': d.status },
        badge(d.status),
        d.reason ? h('span', { class: 'muted' }, ` ${humanize(d.reason)}`) : null,
      ),
      String(d.attempts),
      d.last_error ? h('span', { class: 'text-bad' }, d.last_error) : '—',
      formatDate(d.created_at),
      formatDate(d.completed_at),
      retry(d),
    ]),
    { class: 'deliveries-table' },
  );
}
