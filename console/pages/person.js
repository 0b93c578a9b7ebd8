// Person lookup (DPOs and admins): consent in force, the timeline of events with their evidence and
// receipts, and every delivery of that person's changes. Each look is written to the audit log by the API.
// The phone or email typed is never put in the URL; only the pseudonymous subject id is.
import {
  api,
  ApiError,
  badge,
  busy,
  clearErrors,
  errorNotice,
  errorSummary,
  field,
  h,
  humanize,
  mount,
  pageHeading,
  select,
  showErrors,
  table,
} from '../lib.js';
import { deliveriesTable } from './deliveries.js';
import { timeWithSeconds } from './delivery-words.js';

export async function renderPerson(root, { params, navigate }) {
  const subjectId = params.get('subject_id');
  const form = lookupForm(navigate);
  mount(root, pageHeading('Person lookup'), form, subjectId ? h('p', { class: 'muted' }, 'Loading…') : null);
  if (!subjectId) return;
  const [consents, timeline, deliveries] = await Promise.allSettled([
    api(`/v1/consents?subject_id=${encodeURIComponent(subjectId)}`),
    api(`/v1/subjects/${encodeURIComponent(subjectId)}/timeline`),
    api(`/v1/deliveries?subject_id=${encodeURIComponent(subjectId)}&limit=200`),
  ]);
  const parts = [pageHeading('Person lookup'), form];
  parts.push(personTitle(subjectId, timeline.status === 'fulfilled' ? timeline.value : null));
  parts.push(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'states-title' },
      h('h3', { id: 'states-title' }, 'Consent in force'),
      consents.status === 'rejected'
        ? errorNotice(consents.reason)
        : table(
            'Consent in force',
            ['Purpose', 'Channel', 'Business number', 'Status', 'Since', 'Source'],
            consents.value.states.map((s) => [
              humanize(s.purpose),
              channelWords(s.channel),
              s.scope === '*' ? 'Every number' : s.scope,
              badge(s.status),
              timeWithSeconds(s.captured_at),
              sourceWords(s.source),
            ]),
          ),
    ),
  );
  if (timeline.status === 'rejected') {
    parts.push(h('section', { class: 'card' }, h('h3', null, 'Timeline'), errorNotice(timeline.reason)));
  } else {
    parts.push(timelineSection(timeline.value));
  }
  parts.push(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'person-deliveries-title' },
      h('h3', { id: 'person-deliveries-title' }, 'Deliveries'),
      deliveries.status === 'rejected'
        ? errorNotice(deliveries.reason)
        : deliveriesTable(deliveries.value.deliveries, 'Deliveries of this person’s changes'),
    ),
  );
  mount(root, parts);
}

/** Who this is: their identifiers masked (never the number itself), the pseudonymous id in small print. */
function personTitle(subjectId, t) {
  const masked = (t?.identities ?? []).filter((i) => i.masked);
  const seen = new Set();
  const shown = masked.filter((i) => !seen.has(i.masked) && seen.add(i.masked));
  return h(
    'div',
    null,
    h(
      'h2',
      { class: 'subject-title' },
      'Person ',
      shown.length ? shown.map((i) => i.masked).join(' · ') : 'without a phone or email held',
    ),
    h(
      'p',
      { class: 'muted' },
      shown.length ? `${shown.map((i) => KIND_WORDS[i.kind] ?? humanize(i.kind)).join(', ')}. ` : '',
      'Gateway id ',
      h('code', null, t?.subject_id ?? subjectId),
      t?.redirected_from ? ` (merged from ${t.redirected_from})` : '',
    ),
  );
}

const KIND_WORDS = { phone: 'Phone', wa_id: 'WhatsApp number', email: 'Email' };
const CHANNEL_WORDS = { whatsapp: 'WhatsApp', sms: 'SMS', email: 'Email' };
const SOURCE_WORDS = {
  whatsapp: 'WhatsApp',
  hubspot: 'HubSpot',
  salesforce: 'Salesforce',
  api: 'the API',
  console: 'the console',
};
const channelWords = (c) => CHANNEL_WORDS[c] ?? humanize(c);
const sourceWords = (s) => SOURCE_WORDS[s] ?? humanize(s);
const EFFECT_WORDS = {
  changed: 'changed the consent',
  confirmed: 'confirmed the consent already in force',
  stale: 'older than the consent in force: changed nothing',
};

function timelineSection(t) {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'timeline-title' },
    h('h3', { id: 'timeline-title' }, 'Timeline'),
    h(
      'p',
      { class: 'muted' },
      'Known since ',
      timeWithSeconds(t.created_at),
      t.erased_at ? ['; erased ', timeWithSeconds(t.erased_at)] : '',
      '. Events are numbered in the order they happened: by when they were captured, then when they were recorded. ',
      'Two events captured at the same instant keep the order they were recorded in, and between them a withdrawal wins.',
    ),
    h(
      'p',
      null,
      downloadButton(
        `person-${t.subject_id.slice(0, 8)}-evidence.json`,
        { subject_id: t.subject_id, created_at: t.created_at, events: t.events, merges: t.merges },
        'Download the evidence and receipts (JSON)',
      ),
    ),
    t.events.length === 0
      ? h('p', { class: 'muted' }, 'No consent events recorded.')
      : h('ol', { class: 'timeline', reversed: true }, [...t.events].reverse().map(timelineEvent)),
  );
}

function timelineEvent(e) {
  const ev = e.evidence;
  return h(
    'li',
    { value: String(e.sequence) },
    h(
      'p',
      { class: 'timeline-head' },
      h('strong', null, `#${e.sequence} `),
      timeWithSeconds(ev.captured_at),
      ' ',
      badge(e.status),
      ' ',
      h(
        'span',
        { class: 'muted' },
        `${humanize(e.purpose)} on ${channelWords(e.channel)}${e.scope === '*' ? '' : ` (number ${e.scope})`}: ${EFFECT_WORDS[e.effect] ?? humanize(e.effect)}`,
      ),
    ),
    h(
      'details',
      null,
      h('summary', null, `Evidence of event #${e.sequence}`),
      facts([
        ['Source', sourceWords(e.source)],
        ['How', humanize(ev.method)],
        ['By', ev.actor],
        ['Captured', timeWithSeconds(ev.captured_at)],
        ['Received', timeWithSeconds(ev.received_at)],
        ['Recorded', timeWithSeconds(ev.recorded_at)],
        ['Legal basis', ev.legal_basis ? humanize(ev.legal_basis) : null],
        ['Notice version', ev.notice_version],
        ['Privacy policy', ev.policy_url],
        ['Language', ev.language],
        ['Message digest (SHA-256)', ev.payload_digest ? h('code', null, ev.payload_digest) : null],
        ...flatFacts(ev.details, 'Detail'),
        ...flatFacts(ev.personal, 'Personal detail'),
      ]),
    ),
    e.receipt
      ? h(
          'details',
          null,
          h('summary', null, `Consent receipt of event #${e.sequence}`),
          receiptFacts(e.receipt),
          downloadButton(`receipt-${e.id}.json`, e.receipt, `Download receipt #${e.sequence} (JSON)`),
          h(
            'details',
            null,
            h('summary', null, 'As issued (JSON)'),
            h('pre', { class: 'mono' }, JSON.stringify(e.receipt, null, 2)),
          ),
        )
      : null,
  );
}

/** A receipt's main fields (Kantara v1.1 and ISO/IEC TS 27560), labelled. */
function receiptFacts(r) {
  const k = r.kantara ?? {};
  const iso = r.iso27560 ?? {};
  const controller = k.piiControllers?.[0] ?? {};
  return facts([
    ['Receipt id', k.consentReceiptID ? h('code', null, k.consentReceiptID) : null],
    ['Consent given or withdrawn', iso.event?.state],
    ['At', iso.event?.time ? timeWithSeconds(iso.event.time) : null],
    ['Purpose', iso.purpose ? humanize(iso.purpose) : null],
    ['Collected by', k.collectionMethod],
    ['Controller', controller.piiController],
    ['Controller contact', [controller.contact, controller.email].filter(Boolean).join(', ') || null],
    ['Privacy policy', k.policyUrl],
    ['Lawful basis', iso.lawful_basis ? humanize(iso.lawful_basis) : null],
    ['How to withdraw', iso.withdrawal_method],
    ['Jurisdiction', k.jurisdiction],
  ]);
}

/** Labelled fields; empty ones are left out. */
function facts(rows) {
  const shown = rows.filter(([, v]) => v !== null && v !== undefined && v !== '');
  return h(
    'dl',
    { class: 'facts' },
    shown.map(([term, value]) => [h('dt', null, term), h('dd', null, value)]),
  );
}

/** An object's fields as labelled rows (nested keys joined), for evidence whose keys vary by source. */
function flatFacts(value, prefix) {
  if (value === null || value === undefined) return [];
  if (typeof value !== 'object') return [[prefix, String(value)]];
  return Object.entries(value).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? flatFacts(v, `${prefix}: ${humanize(k)}`)
      : [[`${prefix}: ${humanize(k)}`, Array.isArray(v) ? v.join(', ') : String(v)]],
  );
}

/** A button that saves a JSON file made in the page (nothing more is asked of the API, nothing is logged twice). */
function downloadButton(filename, data, label) {
  const button = h('button', { type: 'button', class: 'btn btn-small' }, label);
  button.addEventListener('click', () => {
    const url = URL.createObjectURL(
      new window.Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }),
    );
    const a = h('a', { href: url, download: filename, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  return button;
}

function lookupForm(navigate) {
  const kind = select(
    'kind',
    [
      ['phone', 'Phone'],
      ['email', 'Email'],
    ],
    'phone',
  );
  const value = h('input', {
    name: 'value',
    required: true,
    autocomplete: 'off',
    'data-field': 'phone',
    placeholder: '+44 7700 900123',
  });
  kind.addEventListener('change', () => {
    value.type = kind.value === 'email' ? 'email' : 'text';
    value.placeholder = kind.value === 'email' ? 'name@example.com' : '+44 7700 900123';
    value.setAttribute('data-field', kind.value);
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Look up');
  const form = h(
    'form',
    { class: 'card filters', role: 'search', novalidate: true, 'aria-label': 'Find a person' },
    errorSummary(),
    field('Find by', kind),
    field(
      'Phone number or email',
      value,
      'A phone number with its country code, as +49 151 … or as WhatsApp shows it (49151…). The lookup is recorded in the audit log.',
    ),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = value.value.trim();
    if (!v) {
      showErrors(
        form,
        new ApiError(400, {
          detail: 'Enter a phone number or email.',
          errors: [{ field: kind.value, message: 'is required' }],
        }),
      );
      return;
    }
    await busy(submit, async () => {
      try {
        const found = await api(`/v1/consents?${new URLSearchParams({ [kind.value]: v })}`);
        navigate(`/people?subject_id=${found.subject_id}`);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          showErrors(
            form,
            new ApiError(404, {
              detail: 'No person is known by that identifier.',
              errors: [{ field: kind.value, message: 'no person is known by this identifier' }],
            }),
          );
        } else showErrors(form, error);
      }
    });
  });
  return form;
}
