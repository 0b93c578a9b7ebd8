import { ManualClock } from '../clock/manual-clock';
import { pacerFor, SlidingWindowPacer } from './pacer';

describe('SlidingWindowPacer', () => {
  it('lets calls through at once while the window has room', async () => {
    const clock = new ManualClock();
    const pacer = new SlidingWindowPacer(3, 1000, clock);
    for (let i = 0; i < 3; i++) await pacer.take();
    expect(clock.sleeps).toEqual([]);
  });

  it('makes the call beyond the limit wait until the oldest one leaves the window', async () => {
    const clock = new ManualClock();
    const pacer = new SlidingWindowPacer(2, 1000, clock);
    await pacer.take();
    clock.advance(300);
    await pacer.take();
    const start = clock.now();
    await pacer.take();
    // The first call was made 300 ms before `start`: it leaves the window 700 ms later (+1 ms margin).
    expect(clock.now() - start).toBe(701);
  });

  it('never lets more than max calls into any window of windowMs', async () => {
    const clock = new ManualClock();
    const pacer = new SlidingWindowPacer(5, 1000, clock);
    const stamps: number[] = [];
    for (let i = 0; i < 40; i++) {
      await pacer.take();
      stamps.push(clock.now());
      clock.advance(37);
    }
    for (const t of stamps)
      expect(stamps.filter((s) => s >= t && s < t + 1000).length).toBeLessThanOrEqual(5);
  });
});

describe('pacerFor', () => {
  it('paces a little under the published limit', () => {
    expect(pacerFor({ max: 100, windowMs: 10_000 }).max).toBe(95);
    expect(pacerFor({ max: 100, windowMs: 10_000 }).windowMs).toBe(10_000);
  });

  it('allows at least one call per window, however small the limit', () => {
    expect(pacerFor({ max: 1, windowMs: 1000 }).max).toBe(1);
  });
});
