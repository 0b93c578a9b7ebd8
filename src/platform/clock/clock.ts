/**
 * The time as the worker, its retry policy and its pacers see it. Injected (the token is the class), so a
 * test can hand them a clock it controls instead of waiting through real time.
 */
export abstract class Clock {
  /** Milliseconds since the epoch, like Date.now(). */
  abstract now(): number;
  /** Resolves after `ms` milliseconds of this clock. */
  abstract sleep(ms: number): Promise<void>;
}

/** The wall clock and real timers: what production runs on. */
export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

export const systemClock: Clock = new SystemClock();
