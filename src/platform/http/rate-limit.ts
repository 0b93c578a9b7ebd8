/**
 * A fixed-window counter per key (client IP, API key), in this process's memory.
 *
 * O(1) per request: one Map lookup and one write. Windows are aligned on the clock (every windowMs), and
 * when a window ends its whole Map is dropped at once, which is the cleanup: no timer, no per-key expiry.
 * A fixed window lets a client send up to twice the limit across a boundary; that is accepted for its cost.
 * Counts are per process: N API processes allow N times the limit (documented in the README).
 */
export interface WindowState {
  /** The count in the current window, this hit included. */
  count: number;
  limit: number;
  /** Hits left in this window (0 once over). */
  remaining: number;
  /** Whole seconds until the window ends (at least 1): Retry-After and RateLimit-Reset. */
  resetSeconds: number;
}

/**
 * Above this many distinct keys in one window, new keys are not tracked (their requests pass): memory
 * stays bounded (a few MB) whatever an attacker sends, at the price of not limiting a flood from more
 * addresses than this within one window.
 */
const MAX_KEYS = 100_000;

export class FixedWindowCounter {
  private counts = new Map<string, number>();
  private windowEnd = 0;
  /** Keys that reached the limit in this window (so "is anyone at the limit?" costs no lookup). */
  private atLimit = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one hit for key and says where it stands; over the limit when count > limit. */
  hit(key: string): WindowState {
    const now = this.roll();
    const previous = this.counts.get(key);
    if (previous === undefined && this.counts.size >= MAX_KEYS) return this.state(0, now);
    const count = (previous ?? 0) + 1;
    this.counts.set(key, count);
    if (count === this.limit) this.atLimit++;
    return this.state(count, now);
  }

  /** Whether any key reached the limit in the current window. */
  anyAtLimit(): boolean {
    this.roll();
    return this.atLimit > 0;
  }

  /** Where key stands without counting a hit. */
  peek(key: string): WindowState {
    const now = this.roll();
    return this.state(this.counts.get(key) ?? 0, now);
  }

  private roll(): number {
    const now = this.now();
    if (now >= this.windowEnd) {
      this.counts = new Map();
      this.atLimit = 0;
      this.windowEnd = now - (now % this.windowMs) + this.windowMs;
    }
    return now;
  }

  private state(count: number, now: number): WindowState {
    return {
      count,
      limit: this.limit,
      remaining: Math.max(0, this.limit - count),
      resetSeconds: Math.max(1, Math.ceil((this.windowEnd - now) / 1000)),
    };
  }
}

/**
 * The key of a client address: an IPv4 address as is, an IPv6 address by its /64 (one subscriber gets a
 * whole /64, so counting single IPv6 addresses would let anyone rotate through billions of them).
 */
export function clientKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  const [head, tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
