import { judgeHealth } from './connection-health';

const outcomes = (o: Partial<Record<'succeeded' | 'skipped' | 'dead' | 'open', number>>, reasons = {}) => ({
  succeeded: 0,
  skipped: 0,
  dead: 0,
  open: 0,
  top_skip_reason: null,
  top_dead_class: null,
  ...o,
  ...reasons,
});
const active = (type = 'salesforce') => ({ type, status: 'active' });

describe('the health of a connection', () => {
  it('is not healthy when its deliveries mostly skip, and says why in words', () => {
    expect(
      judgeHealth(active(), outcomes({ skipped: 6 }, { top_skip_reason: 'not_found_at_vendor' })),
    ).toEqual({ level: 'warning', reason: '6 of 6 deliveries skipped: no matching record at Salesforce.' });
    expect(
      judgeHealth(
        active(),
        outcomes({ succeeded: 1, skipped: 5 }, { top_skip_reason: 'not_found_at_vendor' }),
      ),
    ).toEqual({ level: 'warning', reason: '5 of 6 deliveries skipped: no matching record at Salesforce.' });
  });

  it('is failing when most deliveries die', () => {
    expect(
      judgeHealth(active('hubspot'), outcomes({ succeeded: 1, dead: 2 }, { top_dead_class: 'permanent' })),
    ).toEqual({
      level: 'failing',
      reason: '2 of 3 deliveries failed for good: HubSpot refused the change.',
    });
  });

  it('needs a look when some die, even if most succeed', () => {
    expect(judgeHealth(active(), outcomes({ succeeded: 9, dead: 1 })).level).toBe('warning');
  });

  it('is healthy when most succeed and none die, or when nothing finished', () => {
    expect(judgeHealth(active(), outcomes({ succeeded: 9, skipped: 1 }))).toEqual({
      level: 'healthy',
      reason: '9 of 10 deliveries succeeded in the last 7 days.',
    });
    expect(judgeHealth(active(), undefined).level).toBe('healthy');
  });

  it('is failing when the vendor refused the credentials, and a warning while paused', () => {
    expect(judgeHealth({ type: 'hubspot', status: 'auth_failed' }, outcomes({ succeeded: 5 })).level).toBe(
      'failing',
    );
    expect(judgeHealth({ type: 'hubspot', status: 'paused' }, outcomes({ succeeded: 5 })).level).toBe(
      'warning',
    );
  });

  it('never shows a raw reason code', () => {
    const { reason } = judgeHealth(
      active(),
      outcomes({ skipped: 3 }, { top_skip_reason: 'some_new_reason' }),
    );
    expect(reason).toBe('3 of 3 deliveries skipped: the change could not be applied.');
  });
});
