/**
 * Requests as the contract (section 4 of the issue 9 contract) shapes them, for the console states that
 * the real gateway reaches only slowly or not on demand: a manual task, a processor without a DPA, a
 * confirmation that timed out, a retention erasure two years out. Snake case, as the API answers.
 */

const DAY = 86_400_000;
const iso = (offsetDays: number) => new Date(Date.now() + offsetDays * DAY).toISOString();

export const WAITING_ID = '0b6c1a52-8f3e-4c61-9d55-3c3b2a1f7e01';
export const OVERDUE_ID = '1c7d2b63-903f-4d72-8e66-4d4c3b2f8f12';
export const PAUSED_ID = '2d8e3c74-a140-4e83-9f77-5e5d4c3f9023';
export const TASK_ID = '3e9f4d85-b251-4f94-a088-6f6e5d4fa134';

function summary(over: Record<string, unknown>) {
  return {
    type: 'erasure',
    status: 'in_progress',
    status_reason: null,
    origin: 'console',
    received_at: iso(-18),
    due_at: iso(12),
    days_left: 12,
    due_soon: false,
    overdue: false,
    paused: false,
    subject_masked: '+49 ••• ••• 789',
    ...over,
  };
}

export const waiting = summary({ id: WAITING_ID, status: 'waiting_on_processors' });
export const overdue = summary({
  id: OVERDUE_ID,
  type: 'access',
  received_at: iso(-34),
  due_at: iso(-3),
  days_left: -3,
  overdue: true,
  subject_masked: 'j•••@example.com',
});
export const paused = summary({
  id: PAUSED_ID,
  type: 'restriction',
  status: 'identity_verification',
  received_at: iso(-2),
  due_at: iso(29),
  days_left: 29,
  paused: true,
  origin: 'api',
});

export const waitingView = {
  ...waiting,
  source: 'letter',
  original_due_at: waiting.due_at,
  extension: null,
  pauses: [],
  verification: {
    method: 'id_document',
    note: 'Passport copy seen',
    verified_by: 'Dana Admin',
    verified_at: iso(-17),
  },
  subject_id: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
  matched: true,
  lift: null,
  changes_masked: null,
  denial_reason: null,
  completed_at: null,
  history: [
    { at: iso(-18), action: 'received', actor: 'Dana Admin', detail: { source: 'letter' } },
    { at: iso(-17), action: 'identity_verified', actor: 'Dana Admin', detail: { method: 'id_document' } },
    { at: iso(-17), action: 'deliveries_planned', actor: 'system', detail: { processors: 3 } },
  ],
  processors: [
    {
      kind: 'api',
      delivery_id: '4fa05e96-c362-4aa5-b199-707f6e0fb245',
      task_id: null,
      connection_id: '5ab16fa7-d473-4bb6-82aa-818a7f1fc356',
      connection_name: 'Acme processor',
      vendor_id: null,
      vendor_name: 'Acme Analytics',
      operation: 'erasure',
      status: 'succeeded',
      reason: null,
      attempts: 1,
      updated_at: iso(-10),
      completed_at: iso(-10),
      vendor_reference: null,
      evidence: { confirmation_due_at: iso(-10) },
      flags: ['dpa_missing', 'acknowledged_not_confirmed'],
    },
    {
      kind: 'manual',
      delivery_id: null,
      task_id: TASK_ID,
      connection_id: null,
      connection_name: null,
      vendor_id: null,
      vendor_name: 'Paper archive',
      operation: 'erasure',
      status: 'open',
      reason: 'no_api',
      attempts: 0,
      updated_at: iso(-17),
      completed_at: null,
      vendor_reference: null,
      evidence: {},
      flags: [],
    },
  ],
  export_available: false,
};

export const retention = {
  inactive_months: 24,
  items: [
    {
      subject_id: '6bc27fb8-e584-4cc7-93bb-929b8f2fd467',
      subject_masked: '+44 ••• ••• 123',
      last_activity_at: iso(-700),
      erase_on: iso(30),
    },
  ],
};

export const requestSummary = {
  open: 3,
  identity_verification: 1,
  waiting_on_processors: 1,
  due_soon: 0,
  overdue: 1,
};
