import { readCookie } from './session.service';

describe(readCookie.name, () => {
  it('reads the named cookie among others, decoded', () => {
    expect(readCookie('a=1; cg_session=abc%2Ddef; b=2', 'cg_session')).toBe('abc-def');
  });

  it('answers null without the header or the cookie', () => {
    expect(readCookie(undefined, 'cg_session')).toBeNull();
    expect(readCookie('other=1; noequals', 'cg_session')).toBeNull();
  });

  it.each(['%', '%E0%A4%A', 'abc%zz', '%C0%80'])(
    'treats a value that does not decode (%s) as no cookie, rather than throwing',
    (value) => {
      expect(readCookie(`cg_session=${value}`, 'cg_session')).toBeNull();
    },
  );
});
