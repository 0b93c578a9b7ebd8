import { findHostileJson, MAX_JSON_DEPTH } from './hostile-input';

const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};

describe(findHostileJson.name, () => {
  it('passes ordinary JSON', () => {
    expect(findHostileJson({ name: 'Acme', tags: ['a', 'b'], n: 1, ok: true, none: null })).toBeNull();
  });

  it('names the field of a string holding a NUL character, in arrays too', () => {
    expect(findHostileJson({ name: 'Ac\u0000me' })).toEqual({
      field: 'name',
      message: expect.stringContaining('NUL'),
    });
    expect(findHostileJson({ events: [{ ok: 'x' }, { evidence: { form: '\u0000' } }] })?.field).toBe(
      'events.1.evidence.form',
    );
  });

  it('refuses a NUL character in an object key', () => {
    expect(findHostileJson({ evidence: { 'a\u0000': 1 } })?.field).toBe('evidence.*');
  });

  it('does not echo keys that could be personal data in the field path', () => {
    expect(findHostileJson({ evidence: { '+4915123456789': { x: '\u0000' } } })?.field).toBe('evidence.*.x');
  });

  it(`accepts ${MAX_JSON_DEPTH} levels of nesting and refuses one more, naming where`, () => {
    expect(findHostileJson(nested(MAX_JSON_DEPTH))).toBeNull();
    const problem = findHostileJson(nested(MAX_JSON_DEPTH + 1));
    expect(problem?.message).toMatch(/nested deeper/);
    expect(problem?.field).toBe(Array(MAX_JSON_DEPTH).fill('a').join('.'));
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    expect(findHostileJson(nested(100_000))?.message).toMatch(/nested deeper/);
  });

  it('skips the string search when told the raw body held no escaped NUL', () => {
    expect(findHostileJson({ name: 'Ac\u0000me' }, false)).toBeNull();
  });

  it('names a bare value "body"', () => {
    expect(findHostileJson('\u0000')?.field).toBe('body');
  });
});
