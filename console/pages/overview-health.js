// The overview's propagation health: per connection, what became of its deliveries of the last days (succeeded,
// skipped, failed for good, still open) and whether it is healthy, with the reason in words. A connection that is
// "active" but whose deliveries mostly skip or fail is shown amber or red, never green.
import { badge, can, formatDate, h, link, table } from '../lib.js';
import { splitBar } from './charts.js';

/** The API's health levels as a badge: the lib's tones by status key, with the words shown. */
const LEVELS = {
  healthy: { tone: 'succeeded', label: 'Healthy' },
  warning: { tone: 'skipped', label: 'Needs a look' },
  failing: { tone: 'dead', label: 'Failing' },
};

export function healthSection(connections) {
  const days = connections[0]?.recent?.days ?? 7;
  const unhealthy = connections.filter((c) => c.health && c.health.level !== 'healthy');
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'health-title' },
    h('h2', { id: 'health-title' }, 'Propagation health'),
    h(
      'p',
      { class: unhealthy.length ? 'text-bad' : 'muted' },
      connections.length === 0
        ? 'No account is connected yet.'
        : unhealthy.length
          ? `${unhealthy.length} of ${connections.length} ${connections.length === 1 ? 'connection needs' : 'connections need'} a look. Counts are of deliveries created in the last ${days} days.`
          : `Every connection is healthy. Counts are of deliveries created in the last ${days} days.`,
    ),
    table(
      `Health of each connection, last ${days} days`,
      [
        'Connection',
        'Vendor',
        'Health',
        'Deliveries',
        'Succeeded',
        'Skipped',
        'Failed',
        'Open',
        'Last success',
      ],
      connections.map((c) => {
        const r = c.recent ?? { succeeded: 0, skipped: 0, dead: 0, open: 0 };
        const level = LEVELS[c.health?.level] ?? LEVELS.healthy;
        return Object.assign(
          [
            can('connections:read') ? link(`/console/connections/${c.id}`, c.name) : c.name,
            can('registry:read') ? link(`/console/vendors/${c.vendor_id}`, c.vendor_name) : c.vendor_name,
            h(
              'div',
              { class: 'health-cell' },
              badge(level.tone, level.label),
              c.health?.reason ? h('p', { class: 'health-reason' }, c.health.reason) : null,
            ),
            splitBar(
              [
                { label: 'succeeded', value: r.succeeded, tone: 'ok' },
                { label: 'open', value: r.open, tone: 'neutral' },
                { label: 'skipped', value: r.skipped, tone: 'skip' },
                { label: 'failed', value: r.dead, tone: 'bad' },
              ],
              `Deliveries to ${c.name}, last ${days} days`,
            ),
            String(r.succeeded),
            r.skipped ? h('strong', null, String(r.skipped)) : '0',
            r.dead ? h('strong', { class: 'text-bad' }, String(r.dead)) : '0',
            String(r.open),
            formatDate(c.last_success_at),
          ],
          { rowAttrs: { 'data-health': c.health?.level ?? 'healthy', 'data-connection': c.id } },
        );
      }),
      { class: 'health-table' },
    ),
    can('deliveries:read') && connections.length
      ? h('p', null, link('/console/deliveries', 'See every delivery'))
      : null,
  );
}
