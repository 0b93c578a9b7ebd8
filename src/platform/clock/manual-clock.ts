import { Clock } from './clock';

/**
 * A clock that moves only when told to, or when someone sleeps on it (the sleep advances it at once).
 * For specs of timing rules: they run instantly and the times they assert are exact.
 */
export class ManualClock extends Clock {
  readonly sleeps: number[] = [];

  constructor(private time = Date.UTC(2026, 0, 1)) {
    super();
  }

  now(): number {
    return this.time;
  }

  advance(ms: number): void {
    this.time += ms;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
    return Promise.resolve();
  }
}
