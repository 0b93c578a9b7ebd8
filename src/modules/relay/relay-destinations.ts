import { createHash } from 'node:crypto';
import { redactUrl } from '../../config/forward-urls';

/** One forwarding target: a stable key (what rows and metrics name), its URL, and the URL as it may be shown. */
export interface RelayDestination {
  key: string;
  url: string;
  shown: string;
}

/**
 * The key of a destination: the first 16 hex digits of the URL's SHA-256. Stable across restarts and list
 * reorderings, and it does not reveal a secret a URL may carry in its query string.
 */
export function destinationKey(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

export function relayDestinations(urls: readonly string[]): RelayDestination[] {
  return urls.map((url) => ({ key: destinationKey(url), url, shown: redactUrl(url) }));
}
