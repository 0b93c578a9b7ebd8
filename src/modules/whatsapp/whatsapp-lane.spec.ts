import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InboxLane } from '../inbox';
import { whatsAppLane } from './whatsapp-lane';

const FIXTURES = join(__dirname, '../../../test/fixtures/whatsapp');
const fixture = (name: string): unknown => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'));

/** A statuses-only body as Meta sends it during a campaign. */
function statuses(...items: Record<string, unknown>[]): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '1',
        changes: [
          {
            field: 'messages',
            value: { messaging_product: 'whatsapp', metadata: { phone_number_id: '2' }, statuses: items },
          },
        ],
      },
    ],
  };
}
const status = (value: string, extra: Record<string, unknown> = {}) => ({
  id: 'wamid.X',
  status: value,
  timestamp: '1750263773',
  recipient_id: '16505551234',
  ...extra,
});

describe('whatsAppLane', () => {
  describe('on the real fixtures', () => {
    it.each([
      '02-meta-doc-status-delivered.json',
      '15-pywa-status-sent-biz-opaque-callback-data.json',
      '25-bindambc-status-sent-business-initiated.json',
    ])('puts plain delivery statuses (%s) in the bulk lane', (name) => {
      expect(whatsAppLane(fixture(name))).toBe(InboxLane.Bulk);
    });

    it.each([
      '01-meta-doc-text-message.json',
      '03-meta-doc-user-preferences-resume-contact-without-profile.json',
      '04-meta-doc-interactive-button-reply.json',
      '05-meta-doc-interactive-list-reply.json',
      '06-pywa-text-with-bsuid-user-id.json',
      '07-pywa-template-quick-reply-button.json',
      '09-pywa-reaction.json',
      '11-pywa-unsupported-with-message-errors.json',
      '13-pywa-referral-click-to-whatsapp.json',
      '14-pywa-status-failed-130472.json',
      '18-pywa-system-user-changed-number-no-contacts.json',
      '22-bindambc-template-button-SIM.json',
      '23-bindambc-status-failed-131047.json',
      '29-piusalfred-two-changes-messages-and-user-preferences.json',
    ])('puts what may change consent (%s) in the signal lane', (name) => {
      expect(whatsAppLane(fixture(name))).toBe(InboxLane.Signal);
    });
  });

  it('puts sent, delivered and read statuses of one delivery in the bulk lane', () => {
    expect(whatsAppLane(statuses(status('sent'), status('delivered'), status('read')))).toBe(InboxLane.Bulk);
  });

  it('puts a delivery in the signal lane when any one of its statuses failed (131050 is an opt-out)', () => {
    const failed = status('failed', { errors: [{ code: 131050 }] });
    expect(whatsAppLane(statuses(status('delivered'), failed))).toBe(InboxLane.Signal);
  });

  it('puts a plain status that carries errors in the signal lane', () => {
    expect(whatsAppLane(statuses(status('sent', { errors: [{ code: 131049 }] })))).toBe(InboxLane.Signal);
  });

  it('puts a status value it does not know in the signal lane', () => {
    expect(whatsAppLane(statuses(status('deleted')))).toBe(InboxLane.Signal);
    expect(whatsAppLane(statuses({ id: 'wamid.X' }))).toBe(InboxLane.Signal);
  });

  it('puts statuses next to messages, value-level errors or unknown keys in the signal lane', () => {
    for (const extra of [
      { messages: [] },
      { errors: [{ code: 1 }] },
      { user_preferences: [] },
      { novel: 1 },
    ]) {
      const body = statuses(status('read'));
      const change = (body.entry as { changes: { value: Record<string, unknown> }[] }[])[0].changes[0];
      Object.assign(change.value, extra);
      expect(whatsAppLane(body)).toBe(InboxLane.Signal);
    }
  });

  it('puts hostile and unknown shapes in the signal lane', () => {
    const hostile: unknown[] = [
      null,
      [],
      'statuses',
      {},
      { object: 'page', entry: [] },
      { object: 'whatsapp_business_account' },
      { object: 'whatsapp_business_account', entry: [] },
      { object: 'whatsapp_business_account', entry: {} },
      { object: 'whatsapp_business_account', entry: [null] },
      { object: 'whatsapp_business_account', entry: [{ changes: [{ field: 'messages' }] }] },
      {
        object: 'whatsapp_business_account',
        entry: [{ changes: [{ field: 'user_preferences', value: {} }] }],
      },
      statuses(),
      statuses(null as unknown as Record<string, unknown>),
      statuses(['sent'] as unknown as Record<string, unknown>),
      JSON.parse(
        '{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"statuses":[{"status":"read"}],"__proto__":{"messages":[1]}}}]}]}',
      ),
    ];
    for (const body of hostile) expect(whatsAppLane(body)).toBe(InboxLane.Signal);
  });

  it('puts a second change with a message in the signal lane even after a statuses-only first one', () => {
    const body = statuses(status('delivered'));
    const entry = (body.entry as { changes: unknown[] }[])[0];
    entry.changes.push({ field: 'messages', value: { messages: [{ id: 'wamid.Y', type: 'text' }] } });
    expect(whatsAppLane(body)).toBe(InboxLane.Signal);
  });
});
