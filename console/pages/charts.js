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
