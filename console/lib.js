// Shared helpers of the console: the API client, the session, DOM building and small formatters.
// Plain ES modules, no build step. Every text shown is set with textContent (never innerHTML), so data
// from the API cannot inject markup.

export const ROLE_NAMES = { admin: 'Admin', crm_admin: 'CRM admin', dpo: 'DPO', viewer: 'Viewer' };

/** The signed-in user and the CSRF token of their session (null when signed out). */
export const session = { user: null, csrf: null };

export function setSession(body) {
  session.user = body ? body.user : null;
  session.csrf = body ? body.csrf_token : null;
}

/** Whether the signed-in user's role carries a scope (the session may list them; else the role's). */
export function can(scope) {
  const user = session.user;
  if (!user) return false;
  // The session answer lists the role's scopes; the API stays the authority on every call.
  const scopes = Array.isArray(user.scopes) ? user.scopes : [];
  return scopes.includes(scope);
}

/** An API error: the problem+json body, when there was one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `The server answered ${status}.`);
    this.status = status;
    this.problem = problem ?? { status, detail: this.message };
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
let onUnauthenticated = () => {};
export function whenSignedOut(handler) {
  onUnauthenticated = handler;
}

/**
 * Calls the JSON API with the session cookie. Unsafe methods carry the CSRF token. Resolves to the parsed
 * body (null for 204); rejects with ApiError. A 401 outside the login form means the session ended.
 */
export async function api(path, options = {}) {
  const method = (options.method ?? 'GET').toUpperCase();
  const headers = new Headers(options.headers ?? {});
  headers.set('accept', 'application/json, application/problem+json');
  let body = options.body;
  if (options.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(options.json);
  }
  if (UNSAFE.has(method) && session.csrf) headers.set('x-csrf-token', session.csrf);
  let res;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new ApiError(0, { status: 0, detail: 'The gateway could not be reached. Check your connection.' });
  }
  const type = res.headers.get('content-type') ?? '';
  const data = res.status === 204 ? null : type.includes('json') ? await res.json().catch(() => null) : null;
  if (res.ok) return data;
  if (res.status === 401 && !options.allowUnauthenticated) onUnauthenticated();
  throw new ApiError(res.status, data);
}

// ----------------------------------------------------------------------------------------------- DOM

/**
 * h('button', { class: 'x', onclick: fn, 'aria-label': 'y' }, 'text', child) builds an element. Attributes
 * that are null, undefined or false are left out; true sets an empty attribute.
 */
export function h(tag, attrs, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'value' && 'value' in el) el.value = value;
    else if (name === 'checked' && 'checked' in el) el.checked = Boolean(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;

/** A labelled form field; `control` is an input, select or textarea (gets an id and aria-describedby). */
export function field(label, control, hint) {
  const id = control.id || nextId(control.getAttribute('name') ?? 'f');
  control.id = id;
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  const errorEl = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  control.setAttribute('aria-describedby', [hintEl ? hintEl.id : null, errorEl.id].filter(Boolean).join(' '));
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl, errorEl);
}

export function select(name, options, value, attrs = {}) {
  return h(
    'select',
    { name, ...attrs },
    options.map(([v, label]) => h('option', { value: v, selected: v === value ? true : null }, label)),
  );
}

/** A form's error summary (role=alert) placed at its top. */
export function errorSummary() {
  return h('div', { class: 'error-summary', role: 'alert', tabindex: '-1', hidden: true });
}

/** Clears the errors a form shows. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('[aria-invalid="true"]')) el.removeAttribute('aria-invalid');
  for (const el of form.querySelectorAll('.field-error')) {
    el.hidden = true;
    el.textContent = '';
  }
  const summary = form.querySelector('.error-summary');
  if (summary) {
    summary.hidden = true;
    summary.replaceChildren();
  }
}

/**
 * Shows an API error in a form: each errors[].field next to the control whose name (or data-field) is
 * that field, or its nearest parent path; the rest in the summary. Focuses the first problem.
 */
export function showErrors(form, error, aliases = {}) {
  clearErrors(form);
  const problem = error instanceof ApiError ? error.problem : { detail: String(error?.message ?? error) };
  const unplaced = [];
  let first = null;
  for (const item of problem.errors ?? []) {
    const control = controlFor(form, aliases[item.field] ?? item.field);
    const words = plainFieldMessage(item.field, item.message);
    if (!control) {
      unplaced.push(`${fieldLabel(item.field, form)}: ${words}`);
      continue;
    }
    control.setAttribute('aria-invalid', 'true');
    const message = form.querySelector(`#${CSS.escape(control.id)}-error`);
    if (message) {
      message.hidden = false;
      message.textContent = message.textContent ? `${message.textContent}; ${words}` : words;
    }
    first ??= control;
  }
  const summary = form.querySelector('.error-summary');
  if (summary) {
    const lines = [];
    if (error instanceof ApiError && error.status === 403) lines.push(forbiddenMessage(error));
    else if (problem.errors?.length && !unplaced.length) lines.push('Check the fields marked below.');
    else if (!problem.errors?.length) lines.push(plainDetail(problem) || 'That did not work.');
    for (const line of unplaced) lines.push(line);
    if (lines.length) {
      summary.hidden = false;
      mount(
        summary,
        lines.map((l) => h('p', null, l)),
      );
      if (!first) summary.focus();
    }
  }
  first?.focus();
}

function controlFor(form, path) {
  let current = path;
  for (;;) {
    const el =
      form.querySelector(`[data-field="${CSS.escape(current)}"]`) ??
      form.querySelector(`[name="${CSS.escape(current)}"]`);
    if (el) return el;
    const cut = current.lastIndexOf('.');
    if (cut < 0) return null;
    current = current.slice(0, cut);
  }
}

export function forbiddenMessage(error) {
  const role = ROLE_NAMES[session.user?.role] ?? 'your role';
  const detail = error?.problem?.detail ? ` (${error.problem.detail})` : '';
  return `Your role (${role}) is not allowed to do this${detail}. Ask an admin if you need it.`;
}

/** A page-level notice for a failed load: 403 explained, others as the server said. */
export function errorNotice(error) {
  if (error instanceof ApiError && error.status === 403) {
    return h('div', { class: 'notice notice-error', role: 'alert' }, forbiddenMessage(error));
  }
  const text =
    error instanceof ApiError ? plainDetail(error.problem) : 'Something went wrong while loading this page.';
  return h('div', { class: 'notice notice-error', role: 'alert' }, text);
}

/** A short message in the live region (announced to screen readers). */
export function flash(text, kind = 'ok') {
  const region = document.getElementById('flash');
  if (!region) return;
  mount(region, h('p', { class: `flash flash-${kind}` }, text));
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => region.replaceChildren(), 8000);
}

/** The form values as an object of trimmed strings; empty fields left out. */
export function formValues(form) {
  const out = {};
  for (const [name, value] of new FormData(form).entries()) {
    if (typeof value !== 'string') continue;
    const v = value.trim();
    if (v !== '') out[name] = v;
  }
  return out;
}

/** Disables a form's submit button while a request runs. */
export async function busy(button, work) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// ------------------------------------------------------------------------------------------ formats

export function formatDate(iso, withTime = true) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return withTime
    ? d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
    : d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

export const humanize = (s) => (s ? String(s).replace(/_/g, ' ') : '—');

const BADGE_TONES = {
  signed: 'ok',
  valid: 'ok',
  succeeded: 'ok',
  active: 'ok',
  granted: 'ok',
  not_required: 'neutral',
  draft: 'neutral',
  in_negotiation: 'warn',
  expiring: 'warn',
  pending: 'neutral',
  in_progress: 'neutral',
  retrying: 'warn',
  paused: 'warn',
  skipped: 'warn',
  expired: 'bad',
  terminated: 'bad',
  missing: 'bad',
  none: 'bad',
  not_yet_effective: 'warn',
  dead: 'bad',
  auth_failed: 'bad',
  disconnected: 'neutral',
  withdrawn: 'bad',
  revoked: 'neutral',
  // Data-subject requests and their processors.
  received: 'neutral',
  identity_verification: 'warn',
  waiting_on_processors: 'neutral',
  completed: 'ok',
  denied: 'bad',
  cancelled: 'neutral',
  awaiting_confirmation: 'warn',
  open: 'warn',
  done: 'ok',
  overdue: 'bad',
  due_soon: 'warn',
  on_time: 'ok',
};

/** A status badge: colour and text (never colour alone). */
export function badge(status, label) {
  const tone = BADGE_TONES[status] ?? 'neutral';
  return h('span', { class: `badge badge-${tone}` }, label ?? humanize(status));
}

/** A table with a caption; rows are arrays of cells (strings or nodes). */
export function table(caption, headers, rows, attrs = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      attrs,
      h('caption', { class: caption.visible ? null : 'visually-hidden' }, caption.text ?? caption),
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
        rows.length
          ? rows.map((cells) =>
              h(
                'tr',
                cells.rowAttrs ?? null,
                cells.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', null, c))),
              ),
            )
          : h('tr', null, h('td', { colspan: String(headers.length), class: 'muted' }, 'Nothing here yet.')),
      ),
    ),
  );
}

/** A page heading that receives focus after navigation (announced by screen readers). */
export function pageHeading(text, ...actions) {
  return h(
    'div',
    { class: 'page-head' },
    h('h1', { tabindex: '-1', id: 'page-title' }, text),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null,
  );
}

export const link = (href, text, attrs = {}) => h('a', { href, ...attrs }, text);

/** A button that copies a value (a new key, a signing secret) to the clipboard. */
export function copyButton(text, label = 'Copy') {
  return h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      onclick: async (e) => {
        try {
          await navigator.clipboard.writeText(text);
          e.target.textContent = 'Copied';
        } catch {
          e.target.textContent = 'Select and copy it';
        }
      },
    },
    label,
  );
}

// ------------------------------------------------------------------------------------ date inputs

/**
 * A date input's value (yyyy-mm-dd, the user's own calendar day) as an ISO instant: today is now, an
 * earlier day is its local noon (so the day survives any time zone). '' is undefined; nonsense is passed
 * through for the API to name the field.
 */
export function isoFromDateInput(value) {
  if (!value) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  if (value === todayInput()) return new Date().toISOString();
  const d = new Date(`${value}T12:00:00`);
  return Number.isNaN(d.getTime()) ? value : d.toISOString();
}

/** Today as a date input's value, in the user's calendar. */
export function todayInput() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// ------------------------------------------------------------------------------------- plain words

/** Field names people read: the API's snake_case names where humanising them is not enough. */
const FIELD_LABELS = {
  email: 'Email',
  expires_at: 'Expiry',
  privacy_policy_url: 'Privacy policy URL',
  base_url: 'Base URL',
  url: 'Address',
  signed_at: 'Signed on',
  effective_from: 'Effective from',
  expires_on: 'Expires on',
  subject_id: 'Person',
  vendor_id: 'Vendor',
  'x-csrf-token': 'Session security token',
};

/**
 * A field's name in words: the label of its control when the form has one, else the table above, else its
 * last part humanised ("events.0.purpose" → "Purpose").
 */
export function fieldLabel(field, form) {
  const control = form ? controlFor(form, field) : null;
  const label = control?.id ? form.querySelector(`label[for="${CSS.escape(control.id)}"]`) : null;
  if (label?.textContent) return label.textContent.trim();
  if (FIELD_LABELS[field]) return FIELD_LABELS[field];
  const last =
    String(field)
      .split('.')
      .filter((p) => !/^\d+$/.test(p))
      .pop() ?? String(field);
  if (FIELD_LABELS[last]) return FIELD_LABELS[last];
  const words = last.replace(/[_-]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** class-validator's and the gateway's messages, and what a person reads instead. */
const MESSAGE_RULES = [
  [/^must be longer than or equal to 1 characters?$/, () => 'is required'],
  [/^must be longer than or equal to (\d+) characters?$/, (m) => `must be at least ${m[1]} characters long`],
  [/^must be shorter than or equal to (\d+) characters?$/, (m) => `must be at most ${m[1]} characters long`],
  [/^should not be empty$/, () => 'is required'],
  [/^must be a string$/, () => 'is required'],
  [/^should not exist$/, () => 'is not something this form can send'],
  [/^must be one of the following values: .*$/, () => 'choose one of the options'],
  [/^must be an email$/, () => 'must be an email address, like name@example.com'],
  [/^must be a valid ISO 8601 date string$/, () => 'must be a date'],
  [/^must be a URL address$/, () => 'must be a web address starting with https://'],
  [/^must be a boolean value$/, () => 'must be yes or no'],
  [/^must be an integer number$/, () => 'must be a whole number'],
  [/^must be a number.*$/, () => 'must be a number'],
  [/^must not be greater than (\S+)$/, (m) => `must be ${m[1]} or less`],
  [/^must not be less than (\S+)$/, (m) => `must be ${m[1]} or more`],
  [/^must be a UUID$/, () => 'is not a valid reference'],
  [/^must be an array$/, () => 'choose at least one'],
  [
    /^must contain at least (\d+) elements?$/,
    (m) => (m[1] === '1' ? 'choose at least one' : `choose at least ${m[1]}`),
  ],
  [/^is taken$/, () => 'is already used by someone else'],
];

/**
 * A field problem in words: ("name", "name must be longer than or equal to 1 characters") → "is required".
 * The field's own name at the start of the message is dropped (the page names the field beside it).
 */
export function plainFieldMessage(field, message) {
  const last = String(field).split('.').pop();
  let text = String(message ?? '').trim();
  for (const prefix of [field, last])
    if (prefix && text.startsWith(`${prefix} `)) text = text.slice(prefix.length + 1);
  for (const [pattern, words] of MESSAGE_RULES) {
    const m = pattern.exec(text);
    if (m) return words(m);
  }
  return text.replace(/_/g, ' ');
}

/** A problem's detail in words: a validation summary becomes the fields in words. */
export function plainDetail(problem) {
  if (!problem) return '';
  if (problem.errors?.length) {
    return problem.errors
      .map((e) => `${fieldLabel(e.field)}: ${plainFieldMessage(e.field, e.message)}`)
      .join('. ');
  }
  return problem.detail || problem.title || '';
}

/** What enum values are called, by kind. Unknown values are humanised (never shown raw with underscores). */
const LABELS = {
  role: ROLE_NAMES,
  source: {
    wa_keyword: 'WhatsApp keyword',
    wa_button: 'WhatsApp button',
    wa_interactive: 'WhatsApp reply',
    meta_user_preferences: 'WhatsApp marketing setting',
    meta_error_131050: 'WhatsApp: user stopped marketing',
    api: 'API',
    web_form: 'Web form',
    import: 'Import',
    admin: 'Administrator',
    crm_sync: 'CRM sync',
    hubspot: 'HubSpot',
    salesforce: 'Salesforce',
    webhook: 'Webhook processor',
    whatsapp: 'WhatsApp',
  },
  effect: { changed: 'changed', unchanged: 'no change', ignored: 'ignored', superseded: 'superseded' },
  status: {
    granted: 'Granted',
    withdrawn: 'Withdrawn',
    succeeded: 'Succeeded',
    refused: 'Refused',
    failed: 'Failed',
    dead: 'Gave up',
    auth_failed: 'Sign-in to vendor failed',
    not_yet_effective: 'Not yet in effect',
    in_negotiation: 'In negotiation',
    not_required: 'Not required',
  },
  vendor_role: {
    processor: 'Processor',
    sub_processor: 'Sub-processor',
    controller: 'Controller',
    joint_controller: 'Joint controller',
  },
  actor: { api_key: 'API key', user: 'Console user', system: 'The gateway', anonymous: 'Not signed in' },
};

/**
 * An enum value in words: label('role', 'crm_admin') → "CRM admin"; label('source', 'wa_keyword · changed')
 * → "WhatsApp keyword · changed". Parts joined by " · " are named one by one.
 */
export function label(kind, value) {
  if (value === null || value === undefined || value === '') return '—';
  const text = String(value);
  if (text.includes(' · '))
    return text
      .split(' · ')
      .map((part, i) => label(i === 0 ? kind : 'effect', part))
      .join(' · ');
  const key = text.trim().replace(/ /g, '_');
  const known = LABELS[kind]?.[key] ?? LABELS.status[key] ?? LABELS.source[key];
  if (known) return known;
  const words = text.replace(/_/g, ' ');
  return kind === 'effect' ? words : words.charAt(0).toUpperCase() + words.slice(1);
}

const UNITS = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** A duration in words, rounded up to its largest unit: 13 min 5 s → "14 minutes". */
export function durationWords(ms) {
  const abs = Math.max(0, Math.abs(ms));
  for (const [unit, size] of UNITS) {
    if (abs >= size || unit === 'second') {
      const n = Math.max(1, Math.ceil(abs / size - 0.001));
      return `${n} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return '';
}

/** An instant relative to now, in words: "in 14 minutes", "3 hours ago", "just now". */
export function relativeTime(iso, now = Date.now()) {
  if (!iso) return '—';
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return String(iso);
  const diff = t - now;
  if (Math.abs(diff) < 45_000) return 'just now';
  return diff > 0 ? `in ${durationWords(diff)}` : `${durationWords(diff)} ago`;
}

/** How much longer something lasts, in words: "14 more minutes" (null when it is over). */
export function remainingWords(iso, now = Date.now()) {
  const left = new Date(iso).getTime() - now;
  if (!(left > 0)) return null;
  const words = durationWords(left);
  return words.replace(/^(\d+) /, '$1 more ');
}
