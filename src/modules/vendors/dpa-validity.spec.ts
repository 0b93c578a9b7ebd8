import {
  dpaGaps,
  effectiveDpaStatus,
  expiresSoonIn,
  governingVersion,
  isDpaValidOn,
  utcDay,
  type DpaTerms,
} from './dpa-validity';
import { DPA_CLAUSES } from './registry.types';

const ALL_CLAUSES = Object.fromEntries(DPA_CLAUSES.map((c) => [c, true]));

/** A complete signed agreement: document stored, every Art. 28(3) clause, signed before it took effect. */
const signed = (over: Partial<DpaTerms> = {}): DpaTerms => ({
  version: 1,
  status: 'signed',
  signed_at: '2024-12-15',
  effective_from: '2025-01-01',
  expires_at: '2026-01-01',
  clauses: ALL_CLAUSES,
  has_document: true,
  ...over,
});

describe(isDpaValidOn.name, () => {
  it('holds a complete signed agreement valid between its effective date and the day before expiry', () => {
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
    expect(
      isDpaValidOn(signed({ status: 'not_required', has_document: false, clauses: {} }), '2030-01-01'),
    ).toBe(true);
    for (const status of ['draft', 'in_negotiation', 'expired', 'terminated'] as const)
      expect(isDpaValidOn(signed({ status }), '2025-06-01')).toBe(false);
    expect(isDpaValidOn(null, '2025-06-01')).toBe(false);
  });
});

describe('an agreement that claims to be signed but is incomplete', () => {
  const day = '2025-06-01';

  it('does not count without its signed document', () => {
    const dpa = signed({ has_document: false });
    expect(isDpaValidOn(dpa, day)).toBe(false);
    expect(effectiveDpaStatus(dpa, day)).toBe('incomplete');
    expect(dpaGaps(dpa, day)).toEqual(['document']);
  });

  it('does not count when any one of the eight Art. 28(3) clauses is not ticked', () => {
    for (const clause of DPA_CLAUSES) {
      const dpa = signed({ clauses: { ...ALL_CLAUSES, [clause]: false } });
      expect(isDpaValidOn(dpa, day)).toBe(false);
      expect(dpaGaps(dpa, day)).toEqual(['clauses']);
    }
    expect(dpaGaps(signed({ clauses: {} }), day)).toEqual(['clauses']);
  });

  it('does not count when signed on a day after today (the 2030 "signature")', () => {
    const dpa = signed({ signed_at: '2030-01-01', effective_from: null, expires_at: null });
    expect(isDpaValidOn(dpa, day)).toBe(false);
    expect(effectiveDpaStatus(dpa, day)).toBe('incomplete');
    expect(dpaGaps(dpa, day)).toEqual(['signed_in_future']);
    expect(isDpaValidOn(signed({ signed_at: day, effective_from: null }), day)).toBe(true);
  });

  it('names every gap at once, in a fixed order', () => {
    const dpa = signed({ signed_at: '2030-01-01', clauses: {}, has_document: false });
    expect(dpaGaps(dpa, day)).toEqual(['document', 'clauses', 'signed_in_future']);
  });

  it('reads as expired once past its expiry, whatever it lacks', () => {
    expect(effectiveDpaStatus(signed({ has_document: false }), '2026-02-01')).toBe('expired');
  });

  it('has no gaps when it does not claim to be signed', () => {
    expect(dpaGaps(signed({ status: 'draft', has_document: false, clauses: {} }), day)).toEqual([]);
  });
});

describe(expiresSoonIn.name, () => {
  it('counts the days left when a valid agreement expires within 30 days', () => {
    expect(expiresSoonIn(signed(), '2025-12-02')).toBe(30);
    expect(expiresSoonIn(signed(), '2025-12-31')).toBe(1);
  });

  it('is null further out, once expired, without an expiry date, or when the agreement does not count', () => {
    expect(expiresSoonIn(signed(), '2025-12-01')).toBeNull();
    expect(expiresSoonIn(signed(), '2026-01-01')).toBeNull();
    expect(expiresSoonIn(signed({ expires_at: null }), '2025-12-31')).toBeNull();
    expect(expiresSoonIn(signed({ has_document: false }), '2025-12-31')).toBeNull();
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

  it('lets a later incomplete signed version govern: recording it is a decision, and it is shown as incomplete', () => {
    expect(governingVersion([signed(), signed({ version: 2, has_document: false })])?.version).toBe(2);
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
