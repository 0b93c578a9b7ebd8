import { needsValidDpa } from './dpa-hold';

describe('needsValidDpa', () => {
  it('holds a consent update that carries a grant, and rectifications', () => {
    expect(needsValidDpa('consent_update', [{ status: 'withdrawn' }, { status: 'granted' }])).toBe(true);
    expect(needsValidDpa('rectification', [])).toBe(true);
  });

  it('always lets withdrawals, erasures, restrictions and access requests through', () => {
    expect(needsValidDpa('consent_update', [{ status: 'withdrawn' }])).toBe(false);
    expect(needsValidDpa('erasure', [{ status: 'granted' }])).toBe(false);
    expect(needsValidDpa('restriction', [{ status: 'granted' }])).toBe(false);
    expect(needsValidDpa('access_export', [{ status: 'granted' }])).toBe(false);
  });
});
