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
  formatDate,
  h,
  humanize,
  mount,
  pageHeading,
  select,
  showErrors,
  table,
} from '../lib.js';
import { deliveriesTable } from './deliveries.js';

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
  parts.push(h('h2', { class: 'subject-title' }, 'Person ', h('code', null, subjectId)));
  parts.push(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'states-title' },
      h('h3', { id: 'states-title' }, 'Consent in force'),
      consents.status === 'rejected'
        ? errorNotice(consents.reason)
        : table(
            'Consent in force',
            ['Purpose', 'Channel', 'Scope', 'Status', 'Since', 'Source'],
            consents.value.states.map((s) => [
              s.purpose,
              humanize(s.channel),
              s.scope,
              badge(s.status),
              formatDate(s.captured_at),
              humanize(s.source),
            ]),
          ),
    ),
  );
  if (timeline.status === 'rejected') {
    parts.push(h('section', { class: 'card' }, h('h3', null, 'Timeline'), errorNotice(timeline.reason)));
  } else {
    const t = timeline.value;
    parts.push(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'timeline-title' },
        h('h3', { id: 'timeline-title' }, 'Timeline'),
        h(
          'p',
          { class: 'muted' },
          `Known since ${formatDate(t.created_at)}; identifiers: ${t.identities.map((i) => humanize(i.kind)).join(', ') || 'none'}.`,
          t.erased_at ? ` Erased ${formatDate(t.erased_at)}.` : '',
        ),
        h(
          'ol',
          { class: 'timeline' },
          [...t.events]
            .reverse()
            .map((e) =>
              h(
                'li',
                null,
                h(
                  'p',
                  { class: 'timeline-head' },
                  h('time', { datetime: e.evidence.captured_at }, formatDate(e.evidence.captured_at)),
                  ' ',
                  badge(e.status),
                  ' ',
                  h(
                    'span',
                    { class: 'muted' },
                    `${e.purpose} · ${humanize(e.channel)} · ${e.scope} · ${humanize(e.effect)}`,
                  ),
                ),
                h(
                  'p',
                  null,
                  `From ${humanize(e.source)} by ${humanize(e.evidence.method)}${e.evidence.legal_basis ? `; legal basis ${humanize(e.evidence.legal_basis)}` : ''}${e.evidence.notice_version ? `; notice ${e.evidence.notice_version}` : ''}.`,
                ),
                h(
                  'details',
                  null,
                  h('summary', null, 'Evidence'),
                  h('pre', { class: 'mono' }, JSON.stringify(e.evidence, null, 2)),
                ),
                e.receipt
                  ? h(
                      'details',
                      null,
                      h('summary', null, 'Consent receipt'),
                      h('pre', { class: 'mono' }, JSON.stringify(e.receipt, null, 2)),
                    )
                  : null,
              ),
            ),
        ),
      ),
    );
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
      'Phone numbers in international format. The lookup is recorded in the audit log.',
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
