import { directionOf, retryRefusal } from './delivery-advice';

describe('what a delivery told the processor', () => {
  it('names a consent update by the status of the change behind it', () => {
    expect(directionOf('consent_update', 'granted')).toBe('grant');
    expect(directionOf('consent_update', 'withdrawn')).toBe('withdrawal');
  });

  it('calls a consent update without a change behind it the state in force (a record came back)', () => {
    expect(directionOf('consent_update', null)).toBe('current_state');
  });

  it('names a request operation as itself', () => {
    expect(directionOf('erasure', null)).toBe('erasure');
    expect(directionOf('access_export', 'granted')).toBe('access_export');
  });
});

describe('when a retry can help', () => {
  it('allows a dead delivery', () => {
    expect(retryRefusal({ status: 'dead', reason: 'unauthorized' })).toBeNull();
  });

  it('refuses a skipped not-found delivery: it comes back by itself when a record appears', () => {
    expect(retryRefusal({ status: 'skipped', reason: 'not_found_at_vendor' })).toBe('waits_for_record');
  });

  it('refuses a delivery held for a missing DPA: it is released once the DPA is valid', () => {
    expect(retryRefusal({ status: 'skipped', reason: 'dpa_missing' })).toBe('waits_for_dpa');
  });

  it('refuses deliveries that succeeded or are still on their way', () => {
    expect(retryRefusal({ status: 'succeeded', reason: null })).toBe('succeeded');
    for (const status of ['pending', 'in_progress', 'retrying', 'awaiting_confirmation'] as const)
      expect(retryRefusal({ status, reason: null })).toBe('not_finished');
  });

  it('allows a delivery skipped for another reason (a disconnected connection)', () => {
    expect(retryRefusal({ status: 'skipped', reason: 'disconnected' })).toBeNull();
  });
});
