import { needsValidDpa } from './dpa-hold';

describe('needsValidDpa', () => {
  it('holds a consent update that carries a grant, rectifications and access requests', () => {
    expect(needsValidDpa('consent_update', [{ status: 'withdrawn' }, { status: 'granted' }])).toBe(true);
    expect(needsValidDpa('rectification', [])).toBe(true);
    expect(needsValidDpa('access_export', [])).toBe(true);
  });

  it('always lets withdrawals, erasures and restrictions through', () => {
    expect(needsValidDpa('consent_update', [{ status: 'withdrawn' }])).toBe(false);
    expect(needsValidDpa('erasure', [{ status: 'granted' }])).toBe(false);
    expect(needsValidDpa('restriction', [{ status: 'granted' }])).toBe(false);
  });
});
