import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import type { IdentityInput } from '../ledger/ledger.types';
import { loadConsentRules } from './consent-rules';
import { parseWhatsAppEnvelope } from './whatsapp-payload.parser';
import type { WhatsAppItem, WhatsAppItemType, WhatsAppSignal } from './whatsapp.types';

const rules = loadConsentRules(join(__dirname, '../../../config/consent.json'));

// The fixtures live in the shared reference folder; a copy under test/fixtures wins when present.
const FIXTURE_DIR = [
  join(__dirname, '../../../test/fixtures/whatsapp'),
  join(__dirname, '../../../../shared/fixtures/whatsapp'),
  '/work/shared/fixtures/whatsapp',
].find((dir) => existsSync(dir));

function fixture(name: string): unknown {
  if (!FIXTURE_DIR) throw new Error('WhatsApp fixture directory not found');
  return JSON.parse(readFileSync(join(FIXTURE_DIR, name), 'utf8'));
}

const PNID = '106540352242922';
const WABA = '102290129340398';

/** A one-change envelope in the shape Meta sends, for synthetic cases. */
function envelope(value: Record<string, unknown>, metadata: Record<string, unknown> | null = {}): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: WABA,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              ...(metadata
                ? { metadata: { display_phone_number: '15550783881', phone_number_id: PNID, ...metadata } }
                : {}),
              ...value,
            },
          },
        ],
      },
    ],
  };
}

function inbound(message: Record<string, unknown>, contacts?: unknown[]): unknown {
  return envelope({
    contacts: contacts ?? [{ profile: { name: 'Sheena Nelson' }, wa_id: '16505551234' }],
    messages: [{ from: '16505551234', id: 'wamid.SYNTH1', timestamp: '1749416383', ...message }],
  });
}

function text(body: string): unknown {
  return inbound({ type: 'text', text: { body } });
}

function failedStatus(code: number): unknown {
  return envelope({
    statuses: [
      {
        id: 'wamid.OUT1',
        status: 'failed',
        timestamp: '1750263773',
        recipient_id: '16505551234',
        errors: [{ code, title: 'title', error_data: { details: 'details' } }],
      },
    ],
  });
}

function only(body: unknown): WhatsAppItem {
  const items = parseWhatsAppEnvelope(body, rules);
  expect(items).toHaveLength(1);
  return items[0];
}

const waId = (value: string): IdentityInput => ({ kind: 'wa_id', value });
const userId = (value: string): IdentityInput => ({ kind: 'wa_user_id', value });
const parentId = (value: string): IdentityInput => ({ kind: 'wa_parent_user_id', value });
const none = { kind: 'none', reason: expect.any(String) as string };

interface Expected {
  itemType: WhatsAppItemType;
  subtype: string | null;
  sourceEventId: string | null;
  signal: WhatsAppSignal | typeof none;
  identities: IdentityInput[];
  capturedAt: Date | null;
}

const PYWA_CONTACT = [
  waId('972987654321'),
  userId('US.13491208655302741918'),
  parentId('US.ENT.11815799212886844830'),
];
const at = (seconds: number): Date => new Date(seconds * 1000);

const FIXTURES: Record<string, Expected[]> = {
  '01-meta-doc-text-message.json': [
    {
      itemType: 'message',
      subtype: 'text',
      sourceEventId: 'msg:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
      signal: none,
      identities: [waId('16505551234')],
      capturedAt: at(1749416383),
    },
  ],
  '02-meta-doc-status-delivered.json': [
    {
      itemType: 'status',
      subtype: 'delivered',
      sourceEventId: 'status:wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MTE5MjVBOTE3MDk5QUVFM0YA:delivered',
      signal: none,
      identities: [waId('16505551234')],
      capturedAt: at(1750263773),
    },
  ],
  '03-meta-doc-user-preferences-resume-contact-without-profile.json': [
    {
      itemType: 'user_preferences',
      subtype: 'resume',
      sourceEventId: 'pref:106540352242922:16505551234:resume:1731705721',
      signal: { kind: 'opt_in', method: 'meta_user_preferences', scope: '106540352242922' },
      identities: [waId('16505551234')],
      capturedAt: at(1731705721),
    },
  ],
  '04-meta-doc-interactive-button-reply.json': [
    {
      itemType: 'message',
      subtype: 'interactive',
      sourceEventId: 'msg:wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQThBREYwNzc2RDc2QjA1QTIwMgA=',
      signal: none,
      identities: [waId('16505551234')],
      capturedAt: at(1714510003),
    },
  ],
  '05-meta-doc-interactive-list-reply.json': [
    {
      itemType: 'message',
      subtype: 'interactive',
      sourceEventId: 'msg:wamid.HBgLMTY0NjcwNDM1OTUVAgASGBQzQTZDMzFGRUFBQjlDMzIzMzlEQwA=',
      signal: none,
      identities: [waId('16505551234')],
      capturedAt: at(1712595443),
    },
  ],
  '06-pywa-text-with-bsuid-user-id.json': [
    {
      itemType: 'message',
      subtype: 'text',
      sourceEventId: 'msg:wamid.xyzxyz',
      signal: none,
      identities: PYWA_CONTACT,
      capturedAt: at(1697043223),
    },
  ],
  '07-pywa-template-quick-reply-button.json': [
    {
      itemType: 'message',
      subtype: 'button',
      sourceEventId: 'msg:wamid.xsidjw',
      signal: none,
      identities: PYWA_CONTACT,
      capturedAt: at(1698269027),
    },
  ],
  '09-pywa-reaction.json': [
    {
      itemType: 'message',
      subtype: 'reaction',
      sourceEventId: 'msg:wamid.xyzxyz',
      signal: none,
      identities: PYWA_CONTACT,
      capturedAt: at(1697044456),
    },
  ],
  '11-pywa-unsupported-with-message-errors.json': [
    {
      itemType: 'message',
      subtype: 'unsupported',
      sourceEventId: 'msg:wamid.xyzxyz',
      signal: none,
      identities: PYWA_CONTACT,
      capturedAt: at(1697044706),
    },
  ],
  '13-pywa-referral-click-to-whatsapp.json': [
    {
      itemType: 'message',
      subtype: 'text',
      sourceEventId: 'msg:wamid.ID',
      signal: none,
      identities: PYWA_CONTACT,
      capturedAt: at(1697045000),
    },
  ],
  '14-pywa-status-failed-130472.json': [
    {
      itemType: 'status',
      subtype: 'failed',
      sourceEventId: 'status:wamid.xyzxyz:failed',
      signal: none,
      identities: [waId('972987654321')],
      capturedAt: at(1689380458),
    },
  ],
  '15-pywa-status-sent-biz-opaque-callback-data.json': [
    {
      itemType: 'status',
      subtype: 'sent',
      sourceEventId: 'status:wamid.xyzxyz:sent',
      signal: none,
      identities: [waId('972987654321')],
      capturedAt: at(1698266945),
    },
  ],
  '18-pywa-system-user-changed-number-no-contacts.json': [
    {
      itemType: 'message',
      subtype: 'system',
      sourceEventId: 'msg:wamid.xyzxyz==',
      signal: { kind: 'number_changed', newWaId: '972912345678' },
      identities: [waId('972987654321')],
      capturedAt: at(1753851315),
    },
  ],
  '22-bindambc-template-button-SIM.json': [
    {
      itemType: 'message',
      subtype: 'button',
      sourceEventId: 'msg:wamid.nBgN6TUyN2k5NzAzM5kzNhUCABI8FDNFQjAxQkE5REI4NEUzQ5Y5QTNgAA==',
      signal: none,
      identities: [waId('1111111111111')],
      capturedAt: at(1673023653),
    },
  ],
  '23-bindambc-status-failed-131047.json': [
    {
      itemType: 'status',
      subtype: 'failed',
      sourceEventId: 'status:wamid.HBgNN5NzAzMDkTUyNzkzNhUEjA1MjUwNCAUIyNEYUQ0OTVGNTY0MwA=:failed',
      signal: none,
      identities: [waId('5511111111111')],
      capturedAt: at(1682651887),
    },
  ],
  '25-bindambc-status-sent-business-initiated.json': [
    {
      itemType: 'status',
      subtype: 'sent',
      sourceEventId: 'status:wamid.nBgN6TUyN2k5NzAzM5kzNhUCABI8FDNFQjAxQkE5REI4NEUzQ5Y5QTNgAA==:sent',
      signal: none,
      identities: [waId('1111111111111')],
      capturedAt: at(1673020317),
    },
  ],
  '29-piusalfred-two-changes-messages-and-user-preferences.json': [
    {
      itemType: 'message',
      subtype: 'text',
      sourceEventId: 'msg:wamid.TEXTXYZ123',
      signal: none,
      identities: [waId('1234567890')],
      capturedAt: at(1680123456),
    },
    {
      itemType: 'user_preferences',
      subtype: 'stop',
      sourceEventId: 'pref:987654321:1234567890:stop:1690000000',
      signal: { kind: 'opt_out', method: 'meta_user_preferences', scope: '987654321' },
      identities: [waId('1234567890')],
      capturedAt: at(1690000000),
    },
  ],
};

describe(parseWhatsAppEnvelope.name, () => {
  describe('on the shared fixtures', () => {
    it('has an expectation for every fixture file on disk', () => {
      expect(FIXTURE_DIR).toBeDefined();
      const files = readdirSync(FIXTURE_DIR!).filter((f) => f.endsWith('.json'));
      expect(files.sort()).toEqual(Object.keys(FIXTURES).sort());
    });

    it.each(Object.entries(FIXTURES))('classifies %s', (name, expected) => {
      const items = parseWhatsAppEnvelope(fixture(name), rules);
      expect(
        items.map(({ itemType, subtype, sourceEventId, signal, identities, capturedAt }) => ({
          itemType,
          subtype,
          sourceEventId,
          signal,
          identities,
          capturedAt,
        })),
      ).toEqual(expected);
    });

    it('carries the WABA id and phone_number_id of the entry and change', () => {
      const [item] = parseWhatsAppEnvelope(fixture('01-meta-doc-text-message.json'), rules);
      expect(item).toMatchObject({ wabaId: '102290129340398', phoneNumberId: '106540352242922' });
      expect(item.evidence).toMatchObject({ waba_id: '102290129340398', phone_number_id: '106540352242922' });
    });

    it('keeps the text body, profile name and wamid (which encodes the number) sealed, and types in clear evidence', () => {
      const wamid = 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=';
      const [item] = parseWhatsAppEnvelope(fixture('01-meta-doc-text-message.json'), rules);
      expect(item.evidence).toMatchObject({ message_type: 'text', item_type: 'message' });
      expect(item.messageId).toBe(wamid);
      expect(item.sealedEvidence).toMatchObject({
        text_body: 'Does it come in another color?',
        profile_name: 'Sheena Nelson',
        from: '16505551234',
        wamid,
      });
      expect(JSON.stringify(item.evidence)).not.toMatch(/Sheena|color|16505551234|wamid\./);
    });

    it('seals the business button payload, the reply context id and the button text', () => {
      const [item] = parseWhatsAppEnvelope(fixture('07-pywa-template-quick-reply-button.json'), rules);
      expect(item.sealedEvidence).toMatchObject({
        button_payload: 'callback_data',
        context_message_id: 'wamid.xyzxyz==',
        button_text: 'title',
        contact_user_id: 'US.13491208655302741918',
      });
      expect(JSON.stringify(item.evidence)).not.toMatch(/callback_data|wamid\./);
    });

    it('records the interactive reply id of a list reply, sealed', () => {
      const [item] = parseWhatsAppEnvelope(fixture('05-meta-doc-interactive-list-reply.json'), rules);
      expect(item.evidence).toMatchObject({ interactive_type: 'list_reply' });
      expect(item.sealedEvidence).toMatchObject({ interactive_id: 'priority_express' });
    });

    it('keeps the error codes of failed statuses and unsupported messages as evidence', () => {
      expect(only(fixture('14-pywa-status-failed-130472.json')).evidence).toMatchObject({
        error_codes: '130472',
      });
      expect(only(fixture('23-bindambc-status-failed-131047.json')).evidence).toMatchObject({
        error_codes: '131047',
      });
      expect(only(fixture('11-pywa-unsupported-with-message-errors.json')).evidence).toMatchObject({
        error_codes: '131051',
      });
    });

    it('keeps biz_opaque_callback_data and the wamid of a status sealed', () => {
      const item = only(fixture('15-pywa-status-sent-biz-opaque-callback-data.json'));
      expect(item.sealedEvidence).toMatchObject({ biz_opaque_callback_data: 'some data' });
      expect(item.sealedEvidence.wamid).toEqual(item.messageId);
      expect(JSON.stringify(item.evidence)).not.toMatch(/some data|wamid\./);
    });

    it('does not read a Portuguese "SIM" quick reply as consent', () => {
      expect(only(fixture('22-bindambc-template-button-SIM.json')).signal.kind).toBe('none');
    });
  });

  describe('typed keywords', () => {
    it.each(['STOP', 'Stop!', 'stop 🛑', 'ARRÊT', 'Baja'])('withdraws on %j', (body) => {
      const item = only(text(body));
      expect(item.signal).toEqual({ kind: 'opt_out', method: 'wa_keyword', scope: PNID });
      expect(item.sealedEvidence.text_body).toBe(body);
    });

    it('records the keyword language and canonical keyword in clear evidence', () => {
      expect(only(text('ARRÊT')).evidence).toMatchObject({ keyword_language: 'fr', keyword: 'arret' });
    });

    it.each(['stop please', "please don't stop", 'yes', 'Sim'])('does not classify %j', (body) => {
      expect(only(text(body)).signal).toEqual(none);
    });

    it('grants on START', () => {
      expect(only(text('START')).signal).toEqual({ kind: 'opt_in', method: 'wa_keyword', scope: PNID });
    });

    it('scopes the signal to the business number, or to null when metadata is missing', () => {
      const body = envelope(
        {
          messages: [
            { from: '16505551234', id: 'wamid.X', timestamp: '1', type: 'text', text: { body: 'STOP' } },
          ],
        },
        null,
      );
      const item = only(body);
      expect(item.phoneNumberId).toBeNull();
      expect(item.signal).toEqual({ kind: 'opt_out', method: 'wa_keyword', scope: null });
    });
  });

  describe('buttons', () => {
    it('withdraws on a configured quick-reply payload carrying a correlation id', () => {
      const item = only(
        inbound({ type: 'button', button: { payload: 'consent_stop:7f3c', text: 'No more offers' } }),
      );
      expect(item.signal).toEqual({ kind: 'opt_out', method: 'wa_button', scope: PNID });
      expect(item.evidence).toMatchObject({ matched_on: 'button_payload' });
      expect(item.sealedEvidence).toMatchObject({
        button_payload: 'consent_stop:7f3c',
        button_text: 'No more offers',
      });
    });

    it('withdraws on Meta’s built-in "Stop promotions" button, recognised by its text', () => {
      const item = only(
        inbound({ type: 'button', button: { payload: 'Stop promotions', text: 'Stop promotions' } }),
      );
      expect(item.signal).toEqual({ kind: 'opt_out', method: 'wa_button', scope: PNID });
    });

    it('grants on an interactive button_reply with a configured id', () => {
      const item = only(
        inbound({
          type: 'interactive',
          context: { from: '15550783881', id: 'wamid.ASK' },
          interactive: {
            type: 'button_reply',
            button_reply: { id: 'consent_start:abc', title: 'Yes, send offers' },
          },
        }),
      );
      expect(item.signal).toEqual({ kind: 'opt_in', method: 'wa_interactive', scope: PNID });
      expect(item.sealedEvidence).toMatchObject({
        interactive_id: 'consent_start:abc',
        context_message_id: 'wamid.ASK',
        interactive_title: 'Yes, send offers',
      });
    });

    it('withdraws on an interactive list_reply with a configured id', () => {
      const item = only(
        inbound({
          type: 'interactive',
          interactive: { type: 'list_reply', list_reply: { id: 'CONSENT_STOP' } },
        }),
      );
      expect(item.signal).toEqual({ kind: 'opt_out', method: 'wa_interactive', scope: PNID });
    });

    it('ignores Flows replies (nfm_reply)', () => {
      const item = only(inbound({ type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: {} } }));
      expect(item.signal).toEqual(none);
    });
  });

  describe('statuses', () => {
    it('withdraws on a failed status with error 131050', () => {
      const item = only(failedStatus(131050));
      expect(item).toMatchObject({
        itemType: 'status',
        sourceEventId: 'status:wamid.OUT1:failed',
        identities: [waId('16505551234')],
        signal: { kind: 'opt_out', method: 'meta_error_131050', scope: PNID },
      });
      expect(item.evidence).toMatchObject({ error_codes: '131050', status: 'failed' });
      expect(item.sealedEvidence).toMatchObject({ recipient_id: '16505551234' });
    });

    it('does not withdraw on 131049, which is a frequency cap', () => {
      expect(only(failedStatus(131049)).signal).toEqual({
        kind: 'none',
        reason: expect.stringContaining('131049'),
      });
    });

    it('reads recipient_user_id as the BSUID of the recipient', () => {
      const item = only(
        envelope({
          statuses: [{ id: 'wamid.B', status: 'read', timestamp: '1', recipient_user_id: 'US.1234' }],
        }),
      );
      expect(item.identities).toEqual([userId('US.1234')]);
    });
  });

  describe('user_preferences', () => {
    function preferences(items: unknown[], contacts: unknown[] = []): unknown {
      return envelope({ contacts, user_preferences: items });
    }

    it('takes the subject of a user_preferences item from the item, not from contacts', () => {
      const item = only(
        preferences(
          [{ wa_id: '16505550002', category: 'marketing_messages', value: 'stop', timestamp: '1731705721' }],
          [{ profile: { name: 'Someone else' }, wa_id: '16505550001' }],
        ),
      );
      expect(item.identities).toEqual([waId('16505550002')]);
      expect(item.sourceEventId).toBe(`pref:${PNID}:16505550002:stop:1731705721`);
      expect(item.signal).toEqual({ kind: 'opt_out', method: 'meta_user_preferences', scope: PNID });
    });

    it('gives integer and string timestamps of the same instant the same key and capture time', () => {
      const asInteger = only(
        preferences([{ wa_id: '1', category: 'marketing_messages', value: 'stop', timestamp: 1731705721 }]),
      );
      const asString = only(
        preferences([{ wa_id: '1', category: 'marketing_messages', value: 'stop', timestamp: '1731705721' }]),
      );
      expect(asInteger.sourceEventId).toBe(asString.sourceEventId);
      expect(asInteger.capturedAt).toEqual(at(1731705721));
      expect(asString.capturedAt).toEqual(at(1731705721));
    });

    it('keys a BSUID-only preference on user_id and keeps the parent id', () => {
      const item = only(
        preferences([
          {
            user_id: 'US.13491208655302741918',
            parent_user_id: 'US.ENT.11815799212886844830',
            category: 'marketing_messages',
            value: 'resume',
            timestamp: 1731705721,
          },
        ]),
      );
      expect(item.identities).toEqual([
        userId('US.13491208655302741918'),
        parentId('US.ENT.11815799212886844830'),
      ]);
      expect(item.sourceEventId).toBe(`pref:${PNID}:US.13491208655302741918:resume:1731705721`);
      expect(item.signal.kind).toBe('opt_in');
    });

    it('maps signup to an opt-in', () => {
      const item = only(
        preferences([
          {
            wa_id: '1',
            category: 'marketing_messages',
            value: 'signup',
            signup_id: 'abc',
            timestamp: '1700000000',
          },
        ]),
      );
      expect(item.signal).toEqual({ kind: 'opt_in', method: 'meta_user_preferences', scope: PNID });
      expect(item.evidence).toMatchObject({
        category: 'marketing_messages',
        value: 'signup',
        signup_id: 'abc',
      });
    });

    it('ignores unknown values and categories', () => {
      const [value, category] = parseWhatsAppEnvelope(
        preferences([
          { wa_id: '1', category: 'marketing_messages', value: 'pause', timestamp: '1700000000' },
          { wa_id: '1', category: 'utility_messages', value: 'stop', timestamp: '1700000000' },
        ]),
        rules,
      );
      expect(value.signal).toEqual(none);
      expect(category.signal).toEqual(none);
    });

    it('cannot key an item without a timestamp', () => {
      const item = only(preferences([{ wa_id: '1', category: 'marketing_messages', value: 'stop' }]));
      expect(item.sourceEventId).toBeNull();
      expect(item.capturedAt).toBeNull();
    });
  });

  describe('identities', () => {
    it('classifies a BSUID-only message with no from or wa_id', () => {
      const item = only(
        envelope({
          contacts: [{ profile: { name: 'Hidden' }, user_id: 'US.13491208655302741918' }],
          messages: [
            {
              from_user_id: 'US.13491208655302741918',
              id: 'wamid.BSUID',
              timestamp: '1749416383',
              type: 'text',
              text: { body: 'STOP' },
            },
          ],
        }),
      );
      expect(item.identities).toEqual([userId('US.13491208655302741918')]);
      expect(item.signal).toEqual({ kind: 'opt_out', method: 'wa_keyword', scope: PNID });
    });

    it('adds the BSUIDs of the matching contact and de-duplicates', () => {
      const item = only(
        inbound({ from_user_id: 'US.1' }, [
          { wa_id: '999', user_id: 'US.9' },
          { wa_id: '16505551234', user_id: 'US.1', parent_user_id: 'US.ENT.1' },
        ]),
      );
      expect(item.identities).toEqual([waId('16505551234'), userId('US.1'), parentId('US.ENT.1')]);
    });

    it('does not borrow the only contact when it names a different wa_id', () => {
      const item = only(inbound({ type: 'text', text: { body: 'hi' } }, [{ wa_id: '999', user_id: 'US.9' }]));
      expect(item.identities).toEqual([waId('16505551234')]);
    });

    it('keeps a wa_id that is not a valid phone number; the ledger normalises', () => {
      const item = only(inbound({ from: 'not-a-phone', type: 'text', text: { body: 'STOP' } }, []));
      expect(item.identities).toEqual([waId('not-a-phone')]);
      expect(item.signal.kind).toBe('opt_out');
    });

    it('does not classify a consent message that names nobody', () => {
      const item = only(
        envelope({ messages: [{ id: 'wamid.ANON', timestamp: '1', type: 'text', text: { body: 'STOP' } }] }),
      );
      expect(item.identities).toEqual([]);
      expect(item.signal).toEqual(none);
    });
  });

  describe('timestamps', () => {
    it.each<[unknown, Date | null]>([
      ['1749416383', at(1749416383)],
      [1749416383, at(1749416383)],
      [' 1749416383 ', at(1749416383)],
      ['1749416383.5', null],
      [1749416383.5, null],
      ['yesterday', null],
      [-5, null],
      [0, null],
      [1e20, null],
      [null, null],
      [undefined, null],
    ])('reads %j as %j', (timestamp, expected) => {
      expect(only(inbound({ type: 'text', text: { body: 'hi' }, timestamp })).capturedAt).toEqual(expected);
    });
  });

  describe('other message types', () => {
    it('links the old number to the new one on user_changed_number', () => {
      const item = only(fixture('18-pywa-system-user-changed-number-no-contacts.json'));
      expect(item.evidence).toMatchObject({ system_type: 'user_changed_number' });
      expect(item.sealedEvidence).toMatchObject({ from: '972987654321', new_wa_id: '972912345678' });
    });

    it('ignores customer_identity_changed', () => {
      const item = only(
        inbound({
          type: 'system',
          system: { type: 'customer_identity_changed', body: 'changed' },
          identity: {},
        }),
      );
      expect(item.signal).toEqual(none);
    });

    it.each([
      ['reaction with an empty emoji', { type: 'reaction', reaction: { message_id: 'wamid.M', emoji: '' } }],
      ['image', { type: 'image', image: { id: 'media1', mime_type: 'image/jpeg' } }],
      ['location', { type: 'location', location: { latitude: 1, longitude: 2 } }],
      ['request_welcome', { type: 'request_welcome' }],
      ['an unknown type', { type: 'hologram' }],
      ['a location without type', { type: undefined, location: { latitude: 1, longitude: 2 } }],
      ['a text without body', { type: 'text' }],
      ['a button without payload or text', { type: 'button', button: 'STOP' }],
    ])('records %s as no signal', (_label, message) => {
      expect(only(inbound(message)).signal).toEqual(none);
    });

    it('does not classify a message without id, and cannot key it', () => {
      const item = only(inbound({ id: undefined, type: 'text', text: { body: 'STOP' } }));
      expect(item.sourceEventId).toBeNull();
      expect(item.signal).toEqual(none);
    });
  });

  describe('structure', () => {
    it('walks every entry and every change, in order', () => {
      const body = {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'WABA1',
            changes: [
              { value: { metadata: { phone_number_id: 'P1' }, statuses: [{ id: 'w1', status: 'sent' }] } },
              {
                value: {
                  metadata: { phone_number_id: 'P2' },
                  messages: [{ id: 'w2', from: '1', type: 'text' }],
                },
              },
            ],
          },
          {
            id: 'WABA2',
            changes: [{ value: { metadata: { phone_number_id: 'P3' }, errors: [{ code: 131000 }] } }],
          },
        ],
      };
      expect(
        parseWhatsAppEnvelope(body, rules).map((i) => [
          i.wabaId,
          i.phoneNumberId,
          i.itemType,
          i.sourceEventId,
        ]),
      ).toEqual([
        ['WABA1', 'P1', 'status', 'status:w1:sent'],
        ['WABA1', 'P2', 'message', 'msg:w2'],
        ['WABA2', 'P3', 'error', null],
      ]);
    });

    it('records value-level errors as error items with no signal', () => {
      const item = only(
        envelope({ errors: [{ code: 131000, title: 'Something went wrong', error_data: { details: 'x' } }] }),
      );
      expect(item).toMatchObject({
        itemType: 'error',
        sourceEventId: null,
        subtype: '131000',
        identities: [],
        signal: none,
      });
      expect(item.evidence).toMatchObject({ error_code: 131000, error_title: 'Something went wrong' });
    });

    it('ignores envelopes of other Graph products', () => {
      expect(
        parseWhatsAppEnvelope(
          { ...(fixture('01-meta-doc-text-message.json') as object), object: 'page' },
          rules,
        ),
      ).toEqual([]);
    });

    it('keeps evidence values primitive', () => {
      for (const name of Object.keys(FIXTURES)) {
        for (const item of parseWhatsAppEnvelope(fixture(name), rules)) {
          for (const value of [...Object.values(item.evidence), ...Object.values(item.sealedEvidence)]) {
            expect(['string', 'number', 'boolean']).toContain(value === null ? 'string' : typeof value);
          }
        }
      }
    });
  });

  describe('garbage input', () => {
    it.each<[string, unknown]>([
      ['null', null],
      ['undefined', undefined],
      ['a number', 42],
      ['a string', 'x'],
      ['an array', [1, 2]],
      ['an empty object', {}],
      ['entry that is not an array', { entry: 'nope' }],
      ['entries that are not objects', { entry: [null, 1, 'x', []] }],
      ['changes that are not an array', { entry: [{ changes: {} }] }],
      ['a null value', { entry: [{ changes: [{ value: null }] }] }],
      ['a value that is a string', { entry: [{ changes: [{ value: 'messages' }] }] }],
      [
        'item lists that are not arrays',
        { entry: [{ changes: [{ value: { messages: {}, statuses: 'x' } }] }] },
      ],
      [
        'items that are not objects',
        { entry: [{ changes: [{ value: { messages: [null, 1, 'x', [true]] } }] }] },
      ],
    ])('returns no items for %s', (_label, body) => {
      expect(parseWhatsAppEnvelope(body, rules)).toEqual([]);
    });

    it('turns items of the wrong shape into no-signal items without throwing', () => {
      const body = {
        entry: [
          {
            id: ['x'],
            changes: [
              {
                value: {
                  metadata: 'x',
                  contacts: 'x',
                  messages: [{}, { id: 5, type: 7, text: 'STOP', from: { a: 1 } }],
                  statuses: [{ errors: 'x', status: 131050 }],
                  user_preferences: [{ value: ['stop'], category: null, timestamp: {} }],
                  errors: [{ code: 'abc' }],
                },
              },
            ],
          },
        ],
      };
      const items = parseWhatsAppEnvelope(body, rules);
      expect(items.map((i) => i.itemType)).toEqual([
        'message',
        'message',
        'status',
        'user_preferences',
        'error',
      ]);
      for (const item of items) {
        expect(item.signal).toEqual(none);
        expect(item.wabaId).toBeNull();
        expect(item.phoneNumberId).toBeNull();
      }
    });
  });
});
