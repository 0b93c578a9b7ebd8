// Small inline SVG charts, built with DOM calls (no inline script or style, so the CSP holds). Every
// chart has a text equivalent: an aria-label summary and a data table beside it.
import { h } from '../lib.js';

/** Stacked daily bars of granted and withdrawn events. days: [{day, granted, withdrawn}]. */
export function dailyBars(days, label) {
  const width = 560;
  const height = 160;
  const pad = { top: 12, right: 8, bottom: 24, left: 32 };
  const max = Math.max(1, ...days.map((d) => d.granted + d.withdrawn));
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const slot = innerW / Math.max(1, days.length);
  const barW = Math.max(4, slot * 0.7);
  const y = (v) => pad.top + innerH - (v / max) * innerH;
  const bars = days.flatMap((d, i) => {
    const x = pad.left + i * slot + (slot - barW) / 2;
    const withdrawnTop = y(d.withdrawn);
    const grantedTop = y(d.withdrawn + d.granted);
    return [
      h(
        'svg:rect',
        { x, y: withdrawnTop, width: barW, height: pad.top + innerH - withdrawnTop, class: 'bar-withdrawn' },
        h('svg:title', null, `${d.day}: ${d.withdrawn} withdrawn`),
      ),
      h(
        'svg:rect',
        { x, y: grantedTop, width: barW, height: withdrawnTop - grantedTop, class: 'bar-granted' },
        h('svg:title', null, `${d.day}: ${d.granted} granted`),
      ),
    ];
  });
  const totalG = days.reduce((s, d) => s + d.granted, 0);
  const totalW = days.reduce((s, d) => s + d.withdrawn, 0);
  const summary = `${label}: ${totalG} granted and ${totalW} withdrawn over ${days.length} days; busiest day ${max} events.`;
  return h(
    'figure',
    { class: 'chart' },
    h(
      'svg:svg',
      { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': summary, class: 'chart-svg' },
      h('svg:line', {
        x1: pad.left,
        x2: width - pad.right,
        y1: pad.top + innerH,
        y2: pad.top + innerH,
        class: 'axis',
      }),
      h('svg:text', { x: pad.left - 6, y: pad.top + 4, class: 'tick', 'text-anchor': 'end' }, String(max)),
      h('svg:text', { x: pad.left - 6, y: pad.top + innerH, class: 'tick', 'text-anchor': 'end' }, '0'),
      days.length
        ? [
            h('svg:text', { x: pad.left, y: height - 6, class: 'tick' }, days[0].day.slice(5)),
            h(
              'svg:text',
              { x: width - pad.right, y: height - 6, class: 'tick', 'text-anchor': 'end' },
              days[days.length - 1].day.slice(5),
            ),
          ]
        : null,
      bars,
    ),
    h(
      'figcaption',
      null,
      h('span', { class: 'key key-granted' }, 'Granted'),
      ' ',
      h('span', { class: 'key key-withdrawn' }, 'Withdrawn'),
    ),
    h(
      'details',
      null,
      h('summary', null, 'Show the numbers'),
      h(
        'table',
        null,
        h('caption', { class: 'visually-hidden' }, label),
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, 'Day (UTC)'),
            h('th', { scope: 'col' }, 'Granted'),
            h('th', { scope: 'col' }, 'Withdrawn'),
          ),
        ),
        h(
          'tbody',
          null,
          days.map((d) =>
            h(
              'tr',
              null,
              h('th', { scope: 'row' }, d.day),
              h('td', null, String(d.granted)),
              h('td', null, String(d.withdrawn)),
            ),
          ),
        ),
      ),
    ),
  );
}

/** One horizontal bar split into segments: [{label, value, tone}]. */
export function splitBar(segments, label) {
  const total = segments.reduce((s, x) => s + x.value, 0);
  const width = 200;
  let x = 0;
  const parts = segments
    .filter((s) => s.value > 0)
    .map((s) => {
      const w = (s.value / total) * width;
      const rect = h(
        'svg:rect',
        { x, y: 0, width: w, height: 12, class: `seg seg-${s.tone}` },
        h('svg:title', null, `${s.label}: ${s.value}`),
      );
      x += w;
      return rect;
    });
  const text = `${label}: ${segments.map((s) => `${s.value} ${s.label}`).join(', ')}`;
  return h(
    'svg:svg',
    {
      viewBox: `0 0 ${width} 12`,
      width: String(width),
      height: '12',
      role: 'img',
      'aria-label': text,
      class: 'split-bar',
    },
    total === 0 ? h('svg:rect', { x: 0, y: 0, width, height: 12, class: 'seg seg-empty' }) : parts,
  );
}

let chartIds = 0;

/** A small coloured square for a legend (an SVG shape, so it needs no stylesheet entry per tone). */
function swatch(tone) {
  return h(
    'svg:svg',
    { viewBox: '0 0 10 10', width: '10', height: '10', 'aria-hidden': 'true', class: 'swatch' },
    h('svg:rect', { x: 0, y: 0, width: 10, height: 10, class: `seg seg-${tone}` }),
  );
}

/**
 * Stacked bars per day for several series. rows: [{day, [series.key]: n}]; series: [{key, label, tone}].
 * The SVG has a title and a description (what it shows and its totals), each bar segment a title; the numbers
 * are in a table below it, for people who read rather than look.
 */
export function stackedDays(rows, series, label) {
  const width = 560;
  const height = 150;
  const pad = { top: 10, right: 8, bottom: 22, left: 36 };
  const total = (r) => series.reduce((s, x) => s + (r[x.key] ?? 0), 0);
  const max = Math.max(1, ...rows.map(total));
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const slot = innerW / Math.max(1, rows.length);
  const barW = Math.max(3, slot * 0.7);
  const bars = rows.flatMap((r, i) => {
    const x = pad.left + i * slot + (slot - barW) / 2;
    let base = 0;
    return series
      .filter((s) => (r[s.key] ?? 0) > 0)
      .map((s) => {
        const v = r[s.key];
        const top = pad.top + innerH - ((base + v) / max) * innerH;
        const rect = h(
          'svg:rect',
          { x, y: top, width: barW, height: (v / max) * innerH, class: `seg seg-${s.tone}` },
          h('svg:title', null, `${r.day}: ${v} ${s.label.toLowerCase()}`),
        );
        base += v;
        return rect;
      });
  });
  const sums = series.map((s) => `${rows.reduce((n, r) => n + (r[s.key] ?? 0), 0)} ${s.label.toLowerCase()}`);
  const id = `chart-${++chartIds}`;
  const first = rows[0]?.day;
  const last = rows.at(-1)?.day;
  const desc = `${first ? `From ${first} to ${last} (UTC days): ` : ''}${sums.join(', ')}; the busiest day had ${max}.`;
  return h(
    'figure',
    { class: 'chart' },
    // The caption first: which chart this is, and what each colour means, before the bars.
    h(
      'figcaption',
      null,
      h('strong', null, label),
      ' ',
      series.map((s) => h('span', { class: 'key' }, swatch(s.tone), ' ', s.label)),
    ),
    h(
      'svg:svg',
      {
        viewBox: `0 0 ${width} ${height}`,
        role: 'img',
        'aria-labelledby': `${id}-title ${id}-desc`,
        class: 'chart-svg',
      },
      h('svg:title', { id: `${id}-title` }, label),
      h('svg:desc', { id: `${id}-desc` }, desc),
      h('svg:line', {
        x1: pad.left,
        x2: width - pad.right,
        y1: pad.top + innerH,
        y2: pad.top + innerH,
        class: 'axis',
      }),
      h('svg:text', { x: pad.left - 6, y: pad.top + 4, class: 'tick', 'text-anchor': 'end' }, String(max)),
      h('svg:text', { x: pad.left - 6, y: pad.top + innerH, class: 'tick', 'text-anchor': 'end' }, '0'),
      first
        ? [
            h('svg:text', { x: pad.left, y: height - 6, class: 'tick' }, first.slice(5)),
            h(
              'svg:text',
              { x: width - pad.right, y: height - 6, class: 'tick', 'text-anchor': 'end' },
              last.slice(5),
            ),
          ]
        : null,
      bars,
    ),
    dataTable(
      label,
      ['Day (UTC)', ...series.map((s) => s.label)],
      rows.map((r) => [r.day, ...series.map((s) => String(r[s.key] ?? 0))]),
    ),
  );
}

/** The numbers behind a chart, in a table under a disclosure. */
export function dataTable(label, headers, rows) {
  return h(
    'details',
    null,
    h('summary', null, `Show the numbers: ${label}`),
    h(
      'table',
      null,
      h('caption', { class: 'visually-hidden' }, label),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((x) => h('th', { scope: 'col' }, x)),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map(([head, ...cells]) =>
          h(
            'tr',
            null,
            h('th', { scope: 'row' }, head),
            cells.map((c) => h('td', null, c)),
          ),
        ),
      ),
    ),
  );
}

/**
 * When each DPA expires, on a line from today to `months` ahead: one marker per vendor, amber within 30 days,
 * red when already expired. items: [{name, expires: 'yyyy-mm-dd', daysLeft}]. With a title, a description
 * and the dates in a table.
 */
export function expiryTimeline(items, label, months = 12) {
  const width = 560;
  const rowH = 22;
  const pad = { top: 24, right: 28, bottom: 8, left: 150 };
  const spanDays = Math.round(months * 30.4);
  const innerW = width - pad.left - pad.right;
  const height = pad.top + pad.bottom + Math.max(1, items.length) * rowH;
  const x = (days) => pad.left + (Math.max(0, Math.min(spanDays, days)) / spanDays) * innerW;
  const id = `chart-${++chartIds}`;
  const soon = items.filter((i) => i.daysLeft >= 0 && i.daysLeft <= 30).length;
  const gone = items.filter((i) => i.daysLeft < 0).length;
  const desc = items.length
    ? `${items.length} DPAs with an end date: ${gone} expired, ${soon} expiring within 30 days. The earliest: ${items[0].name} on ${items[0].expires}.`
    : 'No DPA has an end date.';
  const ticks = [0, 3, 6, 9, 12]
    .filter((m) => m <= months)
    .map((m) => {
      const at = x(Math.round(m * 30.4));
      return [
        h('svg:line', { x1: at, x2: at, y1: pad.top - 6, y2: height - pad.bottom, class: 'axis' }),
        h(
          'svg:text',
          { x: at, y: pad.top - 10, class: 'tick', 'text-anchor': 'middle' },
          m === 0 ? 'today' : `${m} mo`,
        ),
      ];
    });
  const marks = items.map((item, i) => {
    const y = pad.top + i * rowH + rowH / 2;
    const tone = item.daysLeft < 0 ? 'bad' : item.daysLeft <= 30 ? 'warn' : 'ok';
    const when =
      item.daysLeft < 0
        ? `expired ${-item.daysLeft} days ago`
        : item.daysLeft === 0
          ? 'expires today'
          : `expires in ${item.daysLeft} days`;
    return [
      h(
        'svg:text',
        { x: pad.left - 8, y: y + 4, class: 'tick', 'text-anchor': 'end' },
        item.name.slice(0, 24),
      ),
      h('svg:rect', {
        x: pad.left,
        y: y - 1,
        width: Math.max(0, x(item.daysLeft) - pad.left),
        height: 2,
        class: `seg seg-${tone}`,
      }),
      h(
        'svg:circle',
        { cx: x(item.daysLeft), cy: y, r: 5, class: `seg seg-${tone}` },
        h('svg:title', null, `${item.name}: ${when} (${item.expires})`),
      ),
    ];
  });
  return h(
    'figure',
    { class: 'chart' },
    h(
      'svg:svg',
      {
        viewBox: `0 0 ${width} ${height}`,
        role: 'img',
        'aria-labelledby': `${id}-title ${id}-desc`,
        class: 'chart-svg',
      },
      h('svg:title', { id: `${id}-title` }, label),
      h('svg:desc', { id: `${id}-desc` }, desc),
      ticks,
      marks,
    ),
    h(
      'figcaption',
      null,
      h('span', { class: 'key' }, swatch('bad'), ' Expired'),
      h('span', { class: 'key' }, swatch('warn'), ' Within 30 days'),
      h('span', { class: 'key' }, swatch('ok'), ' Later'),
      items.some((i) => i.daysLeft > spanDays)
        ? h('span', { class: 'muted' }, ` Markers at the right edge expire later than ${months} months.`)
        : null,
    ),
    dataTable(
      label,
      ['Vendor', 'Expires', 'Days left'],
      items.map((i) => [
        i.name,
        i.expires,
        i.daysLeft < 0 ? `expired ${-i.daysLeft} days ago` : String(i.daysLeft),
      ]),
    ),
  );
}
