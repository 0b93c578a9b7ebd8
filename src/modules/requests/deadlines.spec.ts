import {
  addCalendarMonths,
  effectiveDueAt,
  extensionRefusal,
  originalDueAt,
  standing,
  storedDueAt,
  type DeadlineFacts,
} from './deadlines';

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const facts = (receivedAt: string, more: Partial<DeadlineFacts> = {}): DeadlineFacts => ({
  receivedAt: at(receivedAt),
  extensionMonths: 0,
  pauses: [],
  ...more,
});

describe(addCalendarMonths.name, () => {
  it.each([
    ['2026-01-15T10:30:00.000Z', 1, '2026-02-15T10:30:00.000Z'],
    ['2026-01-31T09:00:00.000Z', 1, '2026-02-28T09:00:00.000Z'],
    ['2028-01-31T09:00:00.000Z', 1, '2028-02-29T09:00:00.000Z'],
    ['2026-03-31T23:59:59.999Z', 1, '2026-04-30T23:59:59.999Z'],
    ['2026-12-15T00:00:00.000Z', 1, '2027-01-15T00:00:00.000Z'],
    ['2026-11-30T12:00:00.000Z', 3, '2027-02-28T12:00:00.000Z'],
    ['2026-01-31T08:00:00.000Z', 2, '2026-03-31T08:00:00.000Z'],
    ['2026-02-28T08:00:00.000Z', 1, '2026-03-28T08:00:00.000Z'],
  ])('moves %s by %i month(s) to %s', (from, months, expected) => {
    expect(addCalendarMonths(at(from), months).toISOString()).toBe(expected);
  });

  it('computes several months from the start, not month by month (31 Jan + 3 = 30 Apr, not 28 Apr)', () => {
    expect(addCalendarMonths(at('2026-01-31T00:00:00Z'), 3).toISOString()).toBe('2026-04-30T00:00:00.000Z');
  });
});

describe(originalDueAt.name, () => {
  it('is one calendar month after receipt', () => {
    expect(originalDueAt(at('2026-05-10T14:00:00Z')).toISOString()).toBe('2026-06-10T14:00:00.000Z');
  });

  it('clamps to the end of a shorter month', () => {
    expect(originalDueAt(at('2026-08-31T14:00:00Z')).toISOString()).toBe('2026-09-30T14:00:00.000Z');
  });
});

describe(storedDueAt.name, () => {
  it('adds the extension months to the first month, counted from receipt', () => {
    const due = storedDueAt(facts('2026-01-31T10:00:00Z', { extensionMonths: 2 }));
    expect(due.toISOString()).toBe('2026-04-30T10:00:00.000Z');
  });

  it('pushes the deadline back by the length of every closed pause', () => {
    const due = storedDueAt(
      facts('2026-03-01T00:00:00Z', {
        pauses: [
          { from: at('2026-03-02T00:00:00Z'), to: at('2026-03-05T00:00:00Z') },
          { from: at('2026-03-10T00:00:00Z'), to: at('2026-03-10T12:00:00Z') },
        ],
      }),
    );
    expect(due.toISOString()).toBe('2026-04-04T12:00:00.000Z');
  });

  it('leaves an open pause out (it is counted as of a given time)', () => {
    const due = storedDueAt(
      facts('2026-03-01T00:00:00Z', { pauses: [{ from: at('2026-03-02T00:00:00Z'), to: null }] }),
    );
    expect(due.toISOString()).toBe('2026-04-01T00:00:00.000Z');
  });
});

describe(effectiveDueAt.name, () => {
  const paused = facts('2026-03-01T00:00:00Z', { pauses: [{ from: at('2026-03-10T00:00:00Z'), to: null }] });

  it('moves on with time while the clock is stopped', () => {
    expect(effectiveDueAt(paused, at('2026-03-12T00:00:00Z')).toISOString()).toBe('2026-04-03T00:00:00.000Z');
    expect(effectiveDueAt(paused, at('2026-03-20T00:00:00Z')).toISOString()).toBe('2026-04-11T00:00:00.000Z');
  });

  it('is the stored deadline when the clock runs', () => {
    const running = facts('2026-03-01T00:00:00Z');
    expect(effectiveDueAt(running, at('2026-03-20T00:00:00Z'))).toEqual(storedDueAt(running));
  });
});

describe(standing.name, () => {
  const request = facts('2026-03-01T00:00:00Z');

  it('counts whole days left, rounding a part day up', () => {
    expect(standing(request, at('2026-03-20T00:00:00Z'), 7).daysLeft).toBe(12);
    expect(standing(request, at('2026-03-31T21:00:00Z'), 7).daysLeft).toBe(1);
  });

  it('is not due soon while more than the due-soon days remain', () => {
    const s = standing(request, at('2026-03-24T23:59:59Z'), 7);
    expect(s).toMatchObject({ dueSoon: false, overdue: false, paused: false });
  });

  it('is due soon from the due-soon days before the deadline on', () => {
    expect(standing(request, at('2026-03-25T00:00:00Z'), 7).dueSoon).toBe(true);
    expect(standing(request, at('2026-03-31T23:00:00Z'), 7).dueSoon).toBe(true);
  });

  it('is overdue from the deadline on, and no longer due soon', () => {
    const s = standing(request, at('2026-04-01T00:00:00Z'), 7);
    expect(s).toMatchObject({ dueSoon: false, overdue: true, daysLeft: 0 });
  });

  it('counts days overdue as negative days left', () => {
    expect(standing(request, at('2026-04-03T01:00:00Z'), 7).daysLeft).toBe(-3);
  });

  it('is neither due soon nor overdue while paused, and keeps its days left', () => {
    const paused = facts('2026-03-01T00:00:00Z', {
      pauses: [{ from: at('2026-03-29T00:00:00Z'), to: null }],
    });
    const s = standing(paused, at('2026-05-01T00:00:00Z'), 7);
    expect(s).toMatchObject({ dueSoon: false, overdue: false, paused: true, daysLeft: 3 });
  });

  it('honours a due-soon window of another length', () => {
    expect(standing(request, at('2026-03-18T00:00:00Z'), 14).dueSoon).toBe(true);
    expect(standing(request, at('2026-03-18T00:00:00Z'), 7).dueSoon).toBe(false);
  });
});

describe(extensionRefusal.name, () => {
  const request = facts('2026-03-01T00:00:00Z');
  const now = at('2026-03-20T00:00:00Z');
  const told = at('2026-03-19T00:00:00Z');

  it('grants one or two months within the first month', () => {
    expect(extensionRefusal(request, 1, told, now)).toBeNull();
    expect(extensionRefusal(request, 2, told, now)).toBeNull();
  });

  it('refuses more than two further months in all, extensions added up', () => {
    expect(extensionRefusal(request, 3, told, now)).toBe('too_many_months');
    expect(extensionRefusal({ ...request, extensionMonths: 1 }, 1, told, now)).toBeNull();
    expect(extensionRefusal({ ...request, extensionMonths: 1 }, 2, told, now)).toBe('too_many_months');
    expect(extensionRefusal({ ...request, extensionMonths: 2 }, 1, told, now)).toBe('too_many_months');
  });

  it('refuses zero, negative or fractional months', () => {
    expect(extensionRefusal(request, 0, told, now)).toBe('months_invalid');
    expect(extensionRefusal(request, -1, told, now)).toBe('months_invalid');
    expect(extensionRefusal(request, 1.5, told, now)).toBe('months_invalid');
  });

  it('refuses once the first month is over, from the original deadline on', () => {
    expect(extensionRefusal(request, 1, told, at('2026-03-31T23:59:59.999Z'))).toBeNull();
    expect(extensionRefusal(request, 1, told, at('2026-04-01T00:00:00Z'))).toBe('first_month_over');
  });

  it('measures the first month without pauses: a paused clock does not lengthen it', () => {
    const paused = { ...request, pauses: [{ from: at('2026-03-05T00:00:00Z'), to: null }] };
    expect(extensionRefusal(paused, 1, told, at('2026-04-02T00:00:00Z'))).toBe('first_month_over');
  });

  it('refuses a notification date in the future', () => {
    expect(extensionRefusal(request, 1, at('2026-03-20T00:00:01Z'), now)).toBe('notified_in_future');
  });

  it('refuses a notification date before the request arrived', () => {
    expect(extensionRefusal(request, 1, at('2026-02-28T00:00:00Z'), now)).toBe('notified_before_receipt');
  });
});

describe('a deadline with an extension and pauses together', () => {
  it('adds the months from receipt and then the paused time', () => {
    const f = facts('2026-01-31T10:00:00Z', {
      extensionMonths: 1,
      pauses: [{ from: at('2026-02-01T10:00:00Z'), to: at('2026-02-03T10:00:00Z') }],
    });
    expect(storedDueAt(f).toISOString()).toBe(
      new Date(Date.parse('2026-03-31T10:00:00Z') + 2 * DAY).toISOString(),
    );
  });
});
