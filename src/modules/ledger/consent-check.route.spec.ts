import { plainCheckQuery, plainQueryString } from './consent-check.route';
import { BoundedMemo } from './phone-number';

describe(plainCheckQuery.name, () => {
  const id = '3f2b1c8e-8a4b-4c3e-9f1a-2b3c4d5e6f70';

  it.each([
    [{ phone: '+16505551234' }],
    [{ phone: '+16505551234', purpose: 'marketing', channel: 'whatsapp', scope: '123456' }],
    [{ email: 'jane@example.com', channel: 'email' }],
    [{ subject_id: id }],
  ])('accepts %j as it is', (query) => {
    expect(plainCheckQuery(query)).toEqual(query);
  });

  it.each([
    ['no identifier', { purpose: 'marketing' }],
    ['two identifiers', { phone: '+16505551234', email: 'jane@example.com' }],
    ['an unknown field', { phone: '+16505551234', extra: '1' }],
    ['a repeated field', { phone: ['+16505551234', '+16505551235'] }],
    ['a phone without +', { phone: '16505551234' }],
    ['an invalid phone', { phone: '+12' }],
    ['a too long phone', { phone: `+1650555123${'4'.repeat(30)}` }],
    ['an invalid email', { email: 'not-an-email' }],
    ['an invalid subject id', { subject_id: 'nope' }],
    ['an invalid purpose', { phone: '+16505551234', purpose: 'Not Valid' }],
    ['an unknown channel', { phone: '+16505551234', channel: 'pigeon' }],
    ['an empty scope', { phone: '+16505551234', scope: '' }],
    ['a non-ASCII scope', { phone: '+16505551234', scope: '\uFE0F' }],
    ['no query object', null],
  ])('leaves %s to the Nest pipeline (null)', (_name, query) => {
    expect(plainCheckQuery(query)).toBeNull();
  });
});

describe(plainQueryString.name, () => {
  const url = (query: string) => `/v1/consents/check?${query}`;
  const parse = (query: string) => plainQueryString(url(query), url('').length);

  it("reads the check's fields, percent-decoded, as Fastify's parser does", () => {
    expect(parse('phone=%2B16505551234&purpose=marketing&channel=whatsapp&scope=%2A')).toEqual({
      phone: '+16505551234',
      purpose: 'marketing',
      channel: 'whatsapp',
      scope: '*',
    });
    expect(parse('email=jane%40example.com&')).toEqual({ email: 'jane@example.com' });
    expect(parse('phone=')).toEqual({ phone: '' });
  });

  it.each([
    ['a field not of the check', 'phone=%2B16505551234&extra=1'],
    ['a repeated field', 'phone=%2B16505551234&phone=%2B16505551235'],
    ['a name without a value', 'phone'],
    ['an empty pair', 'phone=%2B16505551234&&purpose=marketing'],
    ['a "+" (a space to Fastify)', 'phone=+16505551234'],
    ['a percent-encoded name', 'ph%6Fne=%2B16505551234'],
    ['malformed percent-encoding', 'phone=%E0%A4%A'],
    ['a NUL', 'phone=%2B16505551234%00'],
  ])('leaves %s to Fastify (null)', (_what, query) => {
    expect(parse(query)).toBeNull();
  });
});

describe(BoundedMemo.name, () => {
  it('keeps at most its bound, dropping the oldest entries first', () => {
    const memo = new BoundedMemo<number, number>(10);
    for (let i = 0; i < 25; i++) memo.set(i, i * 2);
    expect(memo.size).toBeLessThanOrEqual(10);
    expect(memo.get(24)).toBe(48);
    expect(memo.has(0)).toBe(false);
  });

  it('remembers a null result as such', () => {
    const memo = new BoundedMemo<string, string | null>(10);
    memo.set('x', null);
    expect(memo.get('x')).toBeNull();
    expect(memo.get('y')).toBeUndefined();
  });
});
