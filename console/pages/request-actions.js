// The actions on a data-subject request, each offered only where the request's status (and the user's
// role) allows it: verify the identity, extend the deadline (within the first month, with a reason and the
// date the person was told), pause the clock while waiting for the person, resume it, deny with a reason,
// cancel; and completing a manual task with its evidence. Each answers the request as it now is. The API
// stays the authority: a refusal is shown next to the field it names.
import {
  api,
  busy,
  can,
  clearErrors,
  errorSummary,
  field,
  flash,
  formValues,
  h,
  isoFromDateInput,
  select,
  showErrors,
  todayInput,
} from '../lib.js';
import { CLOSED_REQUEST_STATUSES } from './request-deadline.js';

const BEFORE_PROCESSING = ['received', 'identity_verification'];

const erasureStarted = (r) => r.type === 'erasure' && !BEFORE_PROCESSING.includes(r.status);

/** Which actions the request's status allows (the role is checked separately). */
function allowedActions(r, now = Date.now()) {
  const open = !CLOSED_REQUEST_STATUSES.includes(r.status);
  const firstMonth = r.original_due_at ? now < new Date(r.original_due_at).getTime() : false;
  return {
    verify: BEFORE_PROCESSING.includes(r.status) && !r.verification,
    // Extensions add up to two further months at most (Art. 12(3)), granted within the first month.
    extend: open && (r.extension?.months ?? 0) < 2 && firstMonth,
    // The clock stops only while the person is asked to prove who they are, and never once overdue.
    pause: BEFORE_PROCESSING.includes(r.status) && !r.paused && !r.overdue,
    resume: open && Boolean(r.paused),
    // A denial or cancellation stops nothing already sent to processors; the history says so. An erasure that has
    // started cannot be called back (processors may have erased already; the API refuses it too).
    deny: open && !erasureStarted(r),
    cancel: open && !erasureStarted(r),
  };
}

/** POSTs an action from a form and draws the request it answers; errors go next to their fields. */
function actionForm({ id, title, hint, fields, submitLabel, danger, path, body, done }, r, redraw) {
  const submit = h(
    'button',
    { type: 'submit', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}` },
    submitLabel,
  );
  const form = h(
    'form',
    { class: 'action-form', novalidate: true, 'aria-labelledby': `${id}-title` },
    h('h3', { id: `${id}-title` }, title),
    hint ? h('p', { class: 'hint' }, hint) : null,
    errorSummary(),
    fields,
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    await busy(submit, async () => {
      try {
        const next = await api(`/v1/requests/${r.id}/${path}`, {
          method: 'POST',
          json: body(formValues(form)),
        });
        flash(done);
        redraw(next);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}

const reasonField = (label, hint) =>
  field(label, h('textarea', { name: 'reason', rows: '2', required: true }), hint);

export function requestActions(r, redraw) {
  const allowed = allowedActions(r);
  const forms = [];
  if (allowed.verify && can('requests:verify')) {
    forms.push(
      actionForm(
        {
          id: 'verify',
          title: 'Verify the identity',
          hint: 'Record how you know the request comes from the person; processing starts then.',
          fields: [
            field(
              'Verified by',
              h('input', { name: 'method', required: true, autocomplete: 'off' }),
              'e.g. id_document, phone_callback, email_confirmation',
            ),
            field('Note', h('textarea', { name: 'note', rows: '2' })),
          ],
          submitLabel: 'Record verification',
          path: 'verify',
          body: (v) => ({ method: v.method, note: v.note }),
          done: 'Identity verified.',
        },
        r,
        redraw,
      ),
    );
  }
  if (!can('requests:write')) return section(forms, r);
  if (allowed.resume) {
    forms.push(
      actionForm(
        {
          id: 'resume',
          title: 'Resume the clock',
          hint: 'The time it was paused is added to the deadline.',
          fields: [],
          submitLabel: 'Resume',
          path: 'resume',
          body: () => ({}),
          done: 'Clock resumed.',
        },
        r,
        redraw,
      ),
    );
  }
  if (allowed.pause) {
    forms.push(
      actionForm(
        {
          id: 'pause',
          title: 'Pause the clock',
          hint: 'While waiting for the person to prove who they are.',
          fields: [reasonField('Why it is paused')],
          submitLabel: 'Pause',
          path: 'pause',
          body: (v) => ({ reason: v.reason }),
          done: 'Clock paused.',
        },
        r,
        redraw,
      ),
    );
  }
  if (allowed.extend) {
    forms.push(
      actionForm(
        {
          id: 'extend',
          title: 'Extend the deadline',
          hint: 'By up to two further months (Art. 12(3)), only within the first month, and the person must be told why.',
          fields: [
            field(
              'Extend by',
              select(
                'months',
                [
                  ['1', '1 month'],
                  ['2', '2 months'],
                ].slice(0, 2 - (r.extension?.months ?? 0)),
                r.extension ? '1' : '2',
              ),
            ),
            reasonField('Reason for the extension'),
            field(
              'The person was told on',
              h('input', { type: 'date', name: 'subject_notified_at', max: todayInput() }),
            ),
          ],
          submitLabel: 'Extend',
          path: 'extend',
          body: (v) => ({
            months: Number(v.months),
            reason: v.reason,
            subject_notified_at: isoFromDateInput(v.subject_notified_at),
          }),
          done: 'Deadline extended.',
        },
        r,
        redraw,
      ),
    );
  }
  if (allowed.deny) {
    forms.push(
      actionForm(
        {
          id: 'deny',
          title: 'Deny the request',
          hint: 'For example manifestly unfounded or excessive (Art. 12(5)), or the identity could not be established. The person must be told why.',
          fields: [reasonField('Reason for the denial')],
          submitLabel: 'Deny request',
          danger: true,
          path: 'deny',
          body: (v) => ({ reason: v.reason }),
          done: 'Request denied.',
        },
        r,
        redraw,
      ),
    );
  }
  if (allowed.cancel) {
    forms.push(
      actionForm(
        {
          id: 'cancel',
          title: 'Cancel the request',
          hint: 'When the person withdraws it, or it was recorded by mistake.',
          fields: [field('Reason (optional)', h('textarea', { name: 'reason', rows: '2' }))],
          submitLabel: 'Cancel request',
          danger: true,
          path: 'cancel',
          body: (v) => (v.reason ? { reason: v.reason } : {}),
          done: 'Request cancelled.',
        },
        r,
        redraw,
      ),
    );
  }
  return section(forms, r);
}

function section(forms, r) {
  if (!forms.length) {
    return CLOSED_REQUEST_STATUSES.includes(r.status)
      ? null
      : h(
          'section',
          { class: 'card', 'aria-labelledby': 'actions-title' },
          h('h2', { id: 'actions-title' }, 'Actions'),
          h('p', { class: 'muted' }, 'Nothing to do here now: the request is with the processors.'),
        );
  }
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'actions-title' },
    h('h2', { id: 'actions-title' }, 'Actions'),
    h('div', { class: 'actions-grid' }, forms),
  );
}

/** A manual task (a processor that cannot be reached by API): done by the DPO, proven with evidence. */
export function taskForm(r, task, name, redraw) {
  if (!can('requests:write')) return null;
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Complete with evidence');
  const id = `task-${task.task_id}`;
  const form = h(
    'form',
    {
      class: 'action-form task-form',
      novalidate: true,
      'aria-labelledby': `${id}-title`,
      'data-task': task.task_id,
    },
    h('h3', { id: `${id}-title` }, `Manual task: ${name}`),
    h(
      'p',
      { class: 'hint' },
      `Carry out the ${task.operation.replace(/_/g, ' ')} at ${name} yourself, then record how it was done.`,
    ),
    errorSummary(),
    field(
      'Evidence',
      h('textarea', { name: 'evidence', rows: '3', required: true }),
      'What was done, by whom, and how it can be checked (e.g. the vendor’s confirmation email).',
    ),
    field(
      'Reference (optional)',
      h('input', { name: 'reference', autocomplete: 'off' }),
      'A ticket or case number.',
    ),
    h('div', { class: 'form-actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    await busy(submit, async () => {
      try {
        const next = await api(`/v1/requests/${r.id}/tasks/${task.task_id}/complete`, {
          method: 'POST',
          json: v.reference ? { evidence: v.evidence, reference: v.reference } : { evidence: v.evidence },
        });
        flash(`Manual task at ${name} completed.`);
        redraw(next);
      } catch (error) {
        showErrors(form, error);
      }
    });
  });
  return form;
}
