import { effectiveDpaStatus, governingVersion, isDpaValidOn, utcDay, type DpaTerms } from './dpa-validity';

const signed = (over: Partial<DpaTerms> = {}): DpaTerms => ({
  version: 1,
  status: 'signed',
  effective_from: '2025-01-01',
  expires_at: '2026-01-01',
  ...over,
});

describe(isDpaValidOn.name, () => {
  it('holds a signed agreement valid between its effective date and the day before expiry', () => {
    expect(isDpaValidOn(signed(), '2025-01-01')).toBe(true);
    expect(isDpaValidOn(signed(), '2025-12-31')).toBe(true);
  });

  it('treats the expiry day itself as expired', () => {
    expect(isDpaValidOn(signed(), '2026-01-01')).toBe(false);
    expect(effectiveDpaStatus(signed(), '2026-01-01')).toBe('expired');
  });

  it('is not valid before its effective date', () => {
    expect(isDpaValidOn(signed(), '2024-12-31')).toBe(false);
    expect(effectiveDpaStatus(signed(), '2024-12-31')).toBe('not_yet_effective');
  });

  it('never expires without an expiry date, and is in force from signature without an effective date', () => {
    expect(isDpaValidOn(signed({ expires_at: null, effective_from: null }), '2099-01-01')).toBe(true);
  });

  it('accepts not_required and refuses drafts, negotiations, expired and terminated agreements', () => {
    expect(isDpaValidOn(signed({ status: 'not_required' }), '2030-01-01')).toBe(true);
    for (const status of ['draft', 'in_negotiation', 'expired', 'terminated'] as const)
      expect(isDpaValidOn(signed({ status }), '2025-06-01')).toBe(false);
    expect(isDpaValidOn(null, '2025-06-01')).toBe(false);
  });
});

describe(governingVersion.name, () => {
  it('keeps the signed agreement in force while a newer version is only being negotiated', () => {
    const v = governingVersion([signed(), signed({ version: 2, status: 'in_negotiation' })]);
    expect(v?.version).toBe(1);
  });

  it('lets a later decided version govern over an earlier signed one', () => {
    expect(governingVersion([signed(), signed({ version: 2, status: 'terminated' })])?.version).toBe(2);
  });

  it('falls back to the latest draft when nothing is decided yet', () => {
    expect(
      governingVersion([signed({ status: 'draft' }), signed({ version: 2, status: 'draft' })])?.version,
    ).toBe(2);
    expect(governingVersion([])).toBeNull();
  });
});

describe(utcDay.name, () => {
  it('is the UTC calendar day', () => {
    expect(utcDay(new Date('2025-03-01T23:30:00-05:00'))).toBe('2025-03-02');
  });
});
