// Parts shared by the connections list and a connection's own page: plain-word labels, the records that could
// not be matched, and the settings form with its mapping editor.
import {
  api,
  ApiError,
  busy,
  clearErrors,
  errorNotice,
  errorSummary,
  field,
  flash,
  formatDate,
  formValues,
  h,
  mount,
  select,
  showErrors,
  table,
} from '../lib.js';

export const TYPE_LABELS = { hubspot: 'HubSpot', salesforce: 'Salesforce', webhook: 'Webhook processor' };
export const STATUS_LABELS = {
  active: 'Active',
  paused: 'Paused',
  auth_failed: 'Sign-in refused',
  disconnected: 'Disconnected',
};
export const ERASURE_MODES = [
  ['vendor_gdpr_delete', 'Vendor GDPR delete (recommended)'],
  ['hard_delete', 'Hard delete'],
  ['mask_fields', 'Mask the fields'],
];
export const erasureLabel = (mode) => ERASURE_MODES.find(([m]) => m === mode)?.[1] ?? 'Unknown';

const UNMATCHED_REASONS = {
  invalid_phone: 'not a phone number we can read',
  invalid_email: 'not an email address',
  no_identifier: 'no phone number or email',
  unreadable_timestamp: 'a date we cannot read',
  invalid_timestamp: 'a date we cannot read',
  unknown_consent_value: 'a consent value we do not know',
  crm_record_joined_identifiers: 'numbers of two different people',
};
export const unmatchedReason = (reason) => UNMATCHED_REASONS[reason] ?? 'a value we cannot use';

/**
 * "Records we could not match": where the problem is and why, never the value. Loaded when `open` is set or
 * when the disclosure is opened.
 */
export function unmatchedRecords(c, { open = false } = {}) {
  const body = h('div', { class: 'unmatched' }, h('p', { class: 'muted' }, 'Loading…'));
  const details = h(
    'details',
    { class: 'settings', open },
    h('summary', null, 'Records we could not match'),
    body,
  );
  let loaded = false;
  const load = async () => {
    if (!details.open || loaded) return;
    loaded = true;
    try {
      const { counts, records } = await api(`/v1/connections/${c.id}/unmatched`);
      const summary = Object.entries(counts)
        .map(([reason, n]) => `${n} with ${unmatchedReason(reason)}`)
        .join(', ');
      mount(
        body,
        h('p', null, summary || 'Every record this connection has seen could be matched.'),
        records.length
          ? table(
              `Records of ${c.name} that could not be matched`,
              ['Record', 'Type', 'Field', 'Reason', 'Last seen'],
              records.map((r) => [
                r.remote_id,
                r.record_type,
                r.field === '*' ? 'the whole record' : r.field,
                unmatchedReason(r.reason),
                formatDate(r.last_seen_at),
              ]),
            )
          : null,
      );
    } catch (error) {
      loaded = false;
      mount(body, errorNotice(error));
    }
  };
  details.addEventListener('toggle', load);
  if (open) void load();
  return details;
}

/**
 * Settings: erasure mode, phone region and the field mapping. The mapping editor sends what the admin typed; the
 * API refuses a key the provider does not know (400 naming `mapping.<key>`), shown next to the editor.
 */
export function settingsForm(c, { onSaved, open = false }) {
  const submit = h('button', { type: 'submit', class: 'btn btn-small btn-primary' }, 'Save settings');
  const mapping = h('textarea', { name: 'mapping', rows: '8', spellcheck: 'false', class: 'mono' });
  mapping.value = JSON.stringify(c.mapping ?? {}, null, 2);
  const form = h(
    'form',
    { novalidate: true },
    errorSummary(),
    field('Erasure mode', select('erasure_mode', ERASURE_MODES, c.erasure_mode)),
    c.type === 'webhook'
      ? null
      : field(
          'Phone region',
          h('input', { name: 'phone_region', value: c.phone_region ?? '', maxlength: '2', size: '3' }),
          'Where this account\'s national numbers ("0151 2345678") were typed, e.g. DE; empty: the gateway default.',
        ),
    field(
      'Field mapping (JSON)',
      mapping,
      c.type === 'webhook'
        ? 'A webhook processor has no mapping settings.'
        : 'Merged into the current mapping. Only the settings this kind of connection knows are accepted.',
    ),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    let parsed;
    try {
      parsed = JSON.parse(mapping.value || '{}');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not an object');
    } catch {
      showErrors(
        form,
        new ApiError(400, {
          detail: 'The mapping is not valid JSON.',
          errors: [
            { field: 'mapping', message: 'must be a JSON object, e.g. { "phoneProperties": ["phone"] }' },
          ],
        }),
      );
      return;
    }
    await busy(submit, async () => {
      try {
        await api(`/v1/connections/${c.id}`, {
          method: 'PATCH',
          json: {
            erasure_mode: formValues(form).erasure_mode,
            mapping: parsed,
            ...(c.type === 'webhook' ? {} : { phone_region: formValues(form).phone_region?.trim() || null }),
          },
        });
        flash(`Settings of ${c.name} saved.`);
        onSaved();
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return h(
    'details',
    { class: 'settings', open },
    h('summary', null, 'Mapping, erasure mode and phone region'),
    form,
  );
}
