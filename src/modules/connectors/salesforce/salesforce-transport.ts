import type { Connection, OAuth2 } from 'jsforce';
import Transport from 'jsforce/lib/transport';
import type { HttpRequest, HttpRequestOptions, HttpResponse } from 'jsforce/lib/types';
import { StreamPromise } from 'jsforce/lib/util/promise';
import type { OutboundGuard } from '../../../platform/http/outbound-guard';
import { PermanentError } from '../connector.port';

/** Salesforce's own API hosts, reached over https only. */
const SALESFORCE_HOST = /\.(salesforce|force|cloudforce)\.com$/;

/**
 * Why the gateway may not talk to this Salesforce address (an instance_url, a login URL, a base_url), or null.
 * Salesforce's own hosts over https, or a host and port OUTBOUND_ALLOWLIST names (sandboxes); nothing else, so that
 * a token response or a stored credential cannot point the gateway at an internal host.
 */
export function salesforceHostRefusal(raw: string, outbound: OutboundGuard): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'Salesforce address is not a valid URL';
  }
  if (url.protocol === 'https:' && SALESFORCE_HOST.test(url.hostname)) return null;
  if (outbound.isAllowlisted(url)) return null;
  return `Salesforce host ${url.host} is neither Salesforce's nor in OUTBOUND_ALLOWLIST`;
}

/**
 * jsforce's HTTP transport with the outbound rules applied to every request it sends. jsforce takes no agent (its
 * fetch gets one only for a proxy), so the check is on the URL, before the request: its origin must be one the
 * connection pinned (the checked instance, the login host), which keeps a `nextRecordsUrl`, a subquery's next
 * page or a refreshed `instance_url` on another host from being fetched; and the host must pass
 * `salesforceHostRefusal`, whose names are Salesforce's own or allow-listed, so no DNS answer can move it
 * inside. Redirects are not followed (jsforce follows them by default), and a 3xx fails the call.
 */
class PinnedTransport extends Transport {
  constructor(
    private readonly origins: () => Array<string | undefined>,
    private readonly outbound: OutboundGuard,
  ) {
    super();
  }

  override httpRequest(req: HttpRequest, options: HttpRequestOptions = {}): StreamPromise<HttpResponse> {
    const refusal = this.refusal(req.url);
    // jsforce calls the transport from async functions: a throw here rejects the call, nothing is sent.
    // EPRIVATE, as the guard's own refusals: permanent, and shown as "not allowed" by a connection test.
    if (refusal) throw Object.assign(new PermanentError(refusal), { code: 'EPRIVATE' });
    const sent = super.httpRequest(req, { ...options, followRedirect: false });
    return StreamPromise.create(() => ({
      stream: sent.stream(),
      promise: sent.then((res) => {
        if (res.statusCode >= 300 && res.statusCode < 400)
          throw new PermanentError(
            `Salesforce answered a redirect (${res.statusCode}), which is not followed`,
          );
        return res;
      }),
    }));
  }

  private refusal(raw: string): string | null {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'Salesforce request URL is not valid';
    }
    const pinned = this.origins()
      .filter((o): o is string => !!o)
      .map((o) => new URL(o).origin);
    if (!pinned.includes(url.origin)) {
      return `Salesforce request to ${url.host} refused: not the connection's instance or login host`;
    }
    return salesforceHostRefusal(raw, this.outbound) ?? this.outbound.refusal(url)?.message ?? null;
  }
}

/** Puts a connection's requests (and its OAuth client's) on the pinned transport. */
export function pinConnection(conn: Connection, loginUrl: string, outbound: OutboundGuard): void {
  conn._transport = new PinnedTransport(() => [conn.instanceUrl, loginUrl], outbound);
  conn.oauth2._transport = new PinnedTransport(() => [loginUrl], outbound);
}

/** Puts an OAuth client's token requests on the pinned transport (its login host only). */
export function pinOAuth2(oauth2: OAuth2, outbound: OutboundGuard): OAuth2 {
  oauth2._transport = new PinnedTransport(() => [oauth2.loginUrl], outbound);
  return oauth2;
}
