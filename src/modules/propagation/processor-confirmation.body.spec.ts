import { parseConfirmationBody } from './processor-confirmation.body';
import { ConfirmationBodyError } from './propagation.errors';

const DELIVERY = '0b6f2f0e-3f5c-4a5e-9d0a-1c2b3d4e5f60';
const parse = (body: unknown) => parseConfirmationBody(Buffer.from(JSON.stringify(body)));
/** The field a wrong body is refused for (a string is sent as it is, anything else as JSON). */
const fieldOf = (body: unknown): string | undefined => {
  try {
    parseConfirmationBody(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)));
  } catch (error) {
    if (error instanceof ConfirmationBodyError) return error.errors?.[0]?.field;
    throw error;
  }
  return undefined;
};

describe(parseConfirmationBody.name, () => {
  it('reads a completed erasure with its delivery id', () => {
    expect(parse({ type: 'subject.erasure_completed', data: { delivery_id: DELIVERY } })).toEqual({
      type: 'subject.erasure_completed',
      deliveryId: DELIVERY,
      detail: null,
    });
  });

  it("reads a failed erasure with the processor's detail", () => {
    expect(
      parse({
        type: 'subject.erasure_failed',
        data: { delivery_id: DELIVERY.toUpperCase(), detail: 'locked' },
      }),
    ).toEqual({ type: 'subject.erasure_failed', deliveryId: DELIVERY, detail: 'locked' });
  });

  it.each([
    ['body', 'not json'],
    ['body', [1]],
    ['type', { type: 'subject.erased', data: { delivery_id: DELIVERY } }],
    ['data', { type: 'subject.erasure_completed' }],
    ['data.delivery_id', { type: 'subject.erasure_completed', data: { delivery_id: 'd-1' } }],
    [
      'data.detail',
      { type: 'subject.erasure_failed', data: { delivery_id: DELIVERY, detail: 'x'.repeat(2001) } },
    ],
  ])('names the field %s when it is wrong', (field, body) => {
    expect(fieldOf(body)).toBe(field);
  });
});
