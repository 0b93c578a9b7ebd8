import { counterpartWaId } from './relay-sender-key';

const envelope = (value: object) =>
  Buffer.from(JSON.stringify({ object: 'whatsapp_business_account', entry: [{ changes: [{ value }] }] }));

describe('the WhatsApp user a delivery is about', () => {
  it('is the sender of a message', () => {
    expect(counterpartWaId(envelope({ messages: [{ from: '4915112345678' }] }))).toBe('4915112345678');
  });
  it('is the recipient of a status', () => {
    expect(counterpartWaId(envelope({ statuses: [{ recipient_id: '4915199999999' }] }))).toBe(
      '4915199999999',
    );
  });
  it('is the contact when there is neither', () => {
    expect(counterpartWaId(envelope({ contacts: [{ wa_id: '33612345678' }] }))).toBe('33612345678');
  });
  it('is nobody for an account update or a body that is not JSON', () => {
    expect(counterpartWaId(envelope({ event: 'VERIFIED_ACCOUNT' }))).toBeNull();
    expect(counterpartWaId(Buffer.from('not json'))).toBeNull();
  });
});
