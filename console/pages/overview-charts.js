// The overview's charts, for people who look rather than read: deliveries per connection over time, consent
// changes per day by source, and when DPAs expire. Each chart is an SVG with a title and a description, and its
// numbers in a table. Appended under the overview once loaded, so the overview's own figures do not wait for them.
import { api, can, errorNotice, h, humanize } from '../lib.js';
import { expiryTimeline, stackedDays } from './charts.js';

const DAYS = 14;

const DELIVERY_SERIES = [
  { key: 'succeeded', label: 'Succeeded', tone: 'ok' },
  { key: 'retried', label: 'Retried', tone: 'warn' },
  { key: 'dead', label: 'Dead', tone: 'bad' },
  { key: 'skipped', label: 'Skipped', tone: 'skip' },
];

const CONSENT_SERIES = [
  { key: 'granted', label: 'Granted', tone: 'ok' },
  { key: 'withdrawn', label: 'Withdrawn', tone: 'bad' },
];

const SOURCE_WORDS = {
  whatsapp: 'WhatsApp',
  hubspot: 'HubSpot',
  salesforce: 'Salesforce',
  api: 'The API',
  console: 'The console',
};

/** Appends the charts the signed-in role may see to the overview's root element. */
export async function appendOverviewCharts(root) {
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'charts-title' },
    h('h2', { id: 'charts-title' }, 'Trends'),
    h('p', { class: 'muted' }, 'Loading charts…'),
  );
  root.append(section);
  const [deliveries, consent, vendors] = await Promise.allSettled([
    can('deliveries:read') ? api(`/v1/charts/deliveries?days=${DAYS}`) : Promise.resolve(null),
    api(`/v1/charts/consent-changes?days=${DAYS}`),
    can('registry:read') ? api('/v1/vendors') : Promise.resolve(null),
  ]);
  section.replaceChildren(
    h('h2', { id: 'charts-title' }, 'Trends'),
    part('Deliveries per connection, last 14 days', deliveries, deliveryCharts),
    part('Consent changes per day by source, last 14 days', consent, consentCharts),
    part('When DPAs expire, next 12 months', vendors, expiryChart),
  );
}

function part(title, settled, draw) {
  if (settled.status === 'fulfilled' && settled.value === null) return null;
  return h(
    'div',
    { class: 'chart-group' },
    h('h3', null, title),
    settled.status === 'rejected' ? errorNotice(settled.reason) : draw(settled.value),
  );
}

function deliveryCharts(body) {
  if (body.connections.length === 0) return h('p', { class: 'muted' }, 'No deliveries in the last 14 days.');
  return body.connections.map((c) => stackedDays(c.days, DELIVERY_SERIES, `Deliveries to ${c.name} per day`));
}

function consentCharts(body) {
  if (body.sources.length === 0) return h('p', { class: 'muted' }, 'No consent changes in the last 14 days.');
  return body.sources.map((s) =>
    stackedDays(
      s.days,
      CONSENT_SERIES,
      `Consent changes from ${SOURCE_WORDS[s.source] ?? humanize(s.source)} per day`,
    ),
  );
}

function expiryChart(body) {
  const today = Date.parse(new Date().toISOString().slice(0, 10));
  const items = body.vendors
    .filter((v) => v.dpa?.expires_at)
    .map((v) => {
      const expires = String(v.dpa.expires_at).slice(0, 10);
      return { name: v.name, expires, daysLeft: Math.round((Date.parse(expires) - today) / 86_400_000) };
    })
    .sort((a, b) => a.daysLeft - b.daysLeft);
  if (items.length === 0) return h('p', { class: 'muted' }, 'No DPA has an end date.');
  return expiryTimeline(items, 'When each vendor’s DPA expires');
}
