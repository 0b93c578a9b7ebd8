import { isCalendarDate } from './calendar-date';

describe(isCalendarDate.name, () => {
  it.each(['2026-02-28', '2024-02-29', '2000-02-29', '2026-12-31', '0001-01-01'])('accepts %s', (day) => {
    expect(isCalendarDate(day)).toBe(true);
  });

  it.each([
    ['a day February does not have', '2026-02-30'],
    ['February 29 of a common year', '2026-02-29'],
    ['February 29 of a century that is no leap year', '1900-02-29'],
    ['April 31', '2026-04-31'],
    ['month 13', '2026-13-01'],
    ['day 0', '2026-01-00'],
    ['year 0', '0000-01-01'],
    ['a timestamp', '2026-01-01T00:00:00Z'],
    ['no zero padding', '2026-1-1'],
    ['a number', 20260101],
  ])('refuses %s (%s)', (_what, day) => {
    expect(isCalendarDate(day)).toBe(false);
  });
});
