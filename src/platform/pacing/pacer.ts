/**
 * A sliding-window pacer: at most `max` calls in any `windowMs`, the shape of HubSpot's rolling limit.
 * Only the process holding a connection's drain lease calls a vendor, so an in-process window is exact.
 */
export class SlidingWindowPacer {
  private readonly stamps: number[] = [];

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Resolves when one more call fits in the window, and counts it. */
  async take(): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.stamps.length && this.stamps[0] <= now - this.windowMs) this.stamps.shift();
      if (this.stamps.length < this.max) {
        this.stamps.push(now);
        return;
      }
      await this.sleep(this.stamps[0] + this.windowMs - now + 1);
    }
  }
}

/** Stays a little under the published limit, so that a 429 is rare rather than the control loop. */
export function pacerFor(limit: { max: number; windowMs: number }): SlidingWindowPacer {
  return new SlidingWindowPacer(Math.max(1, Math.floor(limit.max * 0.95)), limit.windowMs);
}
