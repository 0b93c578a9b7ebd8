import { clientKey, FixedWindowCounter } from './rate-limit';

describe(FixedWindowCounter.name, () => {
  let now = 0;
  const counter = (limit: number) => new FixedWindowCounter(limit, 60_000, () => now);

  beforeEach(() => {
    now = 1_800_000_000_000; // a window boundary (a multiple of 60 s)
  });

  it('counts hits per key and says what is left', () => {
    const limits = counter(2);
    expect(limits.hit('a')).toMatchObject({ count: 1, remaining: 1, limit: 2 });
    expect(limits.hit('a')).toMatchObject({ count: 2, remaining: 0 });
    expect(limits.hit('a')).toMatchObject({ count: 3, remaining: 0 });
    expect(limits.hit('b')).toMatchObject({ count: 1, remaining: 1 });
  });

  it('says how many seconds are left in the window (Retry-After), at least one', () => {
    const limits = counter(1);
    now += 15_500;
    expect(limits.hit('a').resetSeconds).toBe(45);
    now += 44_000;
    expect(limits.hit('a').resetSeconds).toBe(1);
  });

  it('forgets every count when the window ends', () => {
    const limits = counter(1);
    limits.hit('a');
    limits.hit('a');
    now += 60_000;
    expect(limits.peek('a').count).toBe(0);
    expect(limits.hit('a')).toMatchObject({ count: 1, remaining: 0 });
  });

  it('says whether any key reached the limit in this window', () => {
    const limits = counter(2);
    limits.hit('a');
    limits.hit('b');
    expect(limits.anyAtLimit()).toBe(false);
    limits.hit('b');
    expect(limits.anyAtLimit()).toBe(true);
    limits.hit('b');
    expect(limits.anyAtLimit()).toBe(true);
    now += 60_000;
    expect(limits.anyAtLimit()).toBe(false);
  });

  it('peeks without counting', () => {
    const limits = counter(5);
    limits.hit('a');
    expect(limits.peek('a').count).toBe(1);
    expect(limits.peek('a').count).toBe(1);
  });

  it('stops tracking new keys past its capacity instead of growing without bound', () => {
    const limits = counter(1);
    for (let i = 0; i < 100_000; i++) limits.hit(`k${i}`);
    expect(limits.hit('one-too-many').count).toBe(0);
    expect(limits.hit('k0').count).toBe(2);
  });
});

describe(clientKey.name, () => {
  it('keeps IPv4 addresses and unwraps IPv4-mapped IPv6', () => {
    expect(clientKey('203.0.113.9')).toBe('203.0.113.9');
    expect(clientKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
  });

  it('counts an IPv6 client by its /64, whichever way the address is written', () => {
    expect(clientKey('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(clientKey('2001:0db8:0000:0001:ffff:0:0:2')).toBe('2001:db8:0:1::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
  });
});
