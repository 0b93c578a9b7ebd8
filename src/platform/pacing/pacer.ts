import { type Clock, systemClock } from '../clock/clock';

/**
 * A sliding-window pacer: at most `max` calls in any `windowMs`, the shape of HubSpot's rolling limit.
 * Only the process holding a connection's drain lease calls a vendor, so an in-process window is exact.
 */
export class SlidingWindowPacer {
  private readonly stamps: number[] = [];

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Resolves when one more call fits in the window, and counts it. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      while (this.stamps.length && this.stamps[0] <= now - this.windowMs) this.stamps.shift();
      if (this.stamps.length < this.max) {
        this.stamps.push(now);
        return;
      }
      await this.clock.sleep(this.stamps[0] + this.windowMs - now + 1);
    }
  }
}

/** The pace kept for a published limit: a little under it, so that a 429 is rare rather than the control loop. */
export function pacedMax(limit: { max: number }): number {
  return Math.max(1, Math.floor(limit.max * 0.95));
}

export function pacerFor(
  limit: { max: number; windowMs: number },
  clock: Clock = systemClock,
): SlidingWindowPacer {
  return new SlidingWindowPacer(pacedMax(limit), limit.windowMs, clock);
}
