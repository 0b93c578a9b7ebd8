import { isScope, SCOPES } from './scopes';

describe(isScope.name, () => {
  it('accepts every scope of the list', () => {
    for (const scope of SCOPES) expect(isScope(scope)).toBe(true);
  });

  it('rejects a name that is not a scope', () => {
    expect(isScope('consent:delete')).toBe(false);
    expect(isScope('admin')).toBe(false);
  });

  it('rejects a scope written in another case or with spaces', () => {
    expect(isScope('Consent:Read')).toBe(false);
    expect(isScope(' consent:read')).toBe(false);
  });

  it('rejects the empty string and wildcards', () => {
    expect(isScope('')).toBe(false);
    expect(isScope('*')).toBe(false);
    expect(isScope('consent:*')).toBe(false);
  });
});
