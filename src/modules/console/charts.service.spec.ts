import { lastDays } from './charts.service';

describe('the days a chart shows', () => {
  it('lists every UTC day up to today, oldest first', () => {
    expect(lastDays(3, new Date('2026-12-06T23:30:00Z'))).toEqual(['2026-12-04', '2026-12-05', '2026-12-06']);
  });

  it('crosses month and year ends', () => {
    expect(lastDays(3, new Date('2027-01-01T00:10:00Z'))).toEqual(['2026-12-30', '2026-12-31', '2027-01-01']);
  });
});
