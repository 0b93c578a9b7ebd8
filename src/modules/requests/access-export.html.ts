import { createHash } from 'node:crypto';

/**
 * The access export as a human-readable report: one self-contained, printable HTML page (no scripts, no external
 * assets, its one style block allowed by hash in its own Content-Security-Policy). Every value is escaped.
 */

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#111;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem;border-bottom:1px solid #999;padding-bottom:.2rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}p.lead{color:#444;margin:0 0 1rem}
table{border-collapse:collapse;width:100%;margin:.25rem 0 1rem;page-break-inside:auto}
th,td{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top;word-break:break-word}
th{background:#eee;font-weight:600}tr{page-break-inside:avoid}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:.25rem 0 1rem}dt{font-weight:600}dd{margin:0}
.empty{color:#666;font-style:italic}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}}
`;

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** snake_case and camelCase keys as words ("received_at" → "Received at"). */
function label(key: string): string {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_.]+/g, ' ')
    .trim()
    .toLowerCase();
  return escapeHtml(words.charAt(0).toUpperCase() + words.slice(1));
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function scalar(value: unknown): string {
  if (value === null || value === undefined || value === '') return '<span class="empty">none</span>';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')
    return escapeHtml(String(value));
  return escapeHtml(JSON.stringify(value));
}

/** Any value: objects as definition lists, lists of objects as tables, lists of scalars joined. */
export function renderValue(value: unknown, depth = 0): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '<span class="empty">none</span>';
    if (value.every(isPlainObject) && depth < 4) return renderTable(value, depth);
    return value
      .map((v) => (isPlainObject(v) || Array.isArray(v) ? renderValue(v, depth + 1) : scalar(v)))
      .join(', ');
  }
  if (isPlainObject(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) return '<span class="empty">none</span>';
    if (depth >= 4) return scalar(value);
    return `<dl>${entries.map(([k, v]) => `<dt>${label(k)}</dt><dd>${renderValue(v, depth + 1)}</dd>`).join('')}</dl>`;
  }
  return scalar(value);
}

function renderTable(rows: Record<string, unknown>[], depth: number): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const head = columns.map((c) => `<th>${label(c)}</th>`).join('');
  const body = rows
    .map((r) => `<tr>${columns.map((c) => `<td>${renderValue(r[c], depth + 1)}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export interface ReportSection {
  title: string;
  /** What the section is, in one sentence for the person reading it. */
  intro: string;
  value: unknown;
}

/** The page and the Content-Security-Policy that lets exactly its own style block apply. */
export function renderReport(
  title: string,
  lead: string,
  sections: readonly ReportSection[],
): { html: string; csp: string } {
  const styleHash = createHash('sha256').update(STYLE).digest('base64');
  const body = sections
    .map(
      (s) =>
        `<section><h2>${escapeHtml(s.title)}</h2><p class="lead">${escapeHtml(s.intro)}</p>${renderValue(s.value)}</section>`,
    )
    .join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(title)}</h1><p class="lead">${escapeHtml(lead)}</p></header>
${body}
</body></html>`;
  return {
    html,
    csp: `default-src 'none'; style-src 'sha256-${styleHash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
}
