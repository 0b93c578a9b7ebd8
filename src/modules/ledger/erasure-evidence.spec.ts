import { evidenceAfterErasure } from './erasure-evidence';

describe(evidenceAfterErasure.name, () => {
  it('strips the wamid, which encodes the sender', () => {
    expect(
      evidenceAfterErasure({ wamid: 'wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQ', item_type: 'message' }),
    ).toEqual({
      item_type: 'message',
    });
  });

  it('strips a key it does not know', () => {
    expect(evidenceAfterErasure({ something_new: 'x' })).toEqual({});
  });

  it("keeps the business's own facts and the gateway's decisions", () => {
    const kept = {
      phone_number_id: '1065',
      keyword_language: 'en',
      blocked_by: 'objection',
      api_key_name: 'crm',
    };
    expect(evidenceAfterErasure(kept)).toEqual(kept);
  });

  it('strips what the person typed or sent (button payload, preference detail)', () => {
    expect(evidenceAfterErasure({ button_payload: 'STOP:jane', detail: 'x', keyword: 'stop' })).toEqual({});
  });
});
