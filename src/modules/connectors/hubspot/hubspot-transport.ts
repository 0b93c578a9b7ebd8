import type { Client } from '@hubspot/api-client';
import type { RequestContext } from '@hubspot/api-client/lib/codegen/crm/properties/http/http';
import { IsomorphicFetchHttpLibrary } from '@hubspot/api-client/lib/codegen/crm/properties/http/isomorphic-fetch';
import { ApiClientConfigurator } from '@hubspot/api-client/lib/src/configuration/ApiClientConfigurator';
import type { Agent } from 'node:http';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { OutboundGuard } from '../../../platform/http/outbound-guard';

type ApiRequestOptions = NonNullable<Parameters<Client['apiRequest']>[0]>;

/**
 * `Client.apiRequest` as the SDK defines it (same URL, headers and body), sent through the outbound guard's
 * agent. The SDK's own `apiRequest` hands node-fetch no agent (`httpAgent` is meant for the generated APIs only,
 * see installHubspotAgentSupport) and follows redirects to any host; this one connects only where the guard allows
 * and follows no redirect: a 3xx comes back as the answer, and the caller treats it as a failure. (node-fetch 2.7
 * drops the Authorization header on a redirect to another domain, so the token did not leak that way.)
 */
export function guardedApiRequest(
  basePath: string,
  accessToken: string | undefined,
  outbound: OutboundGuard,
) {
  return async (opts: ApiRequestOptions = {}): Promise<Response> => {
    let target = opts.overlapUrl ?? `${basePath}${opts.path ?? ''}`;
    if (opts.qs) target = `${target}?${new URLSearchParams(opts.qs as Record<string, string>).toString()}`;
    const url = new URL(target);
    const json = opts.defaultJson ?? true;
    const headers: Record<string, string> = {
      ...(json ? { 'Content-Type': 'application/json' } : {}),
      ...opts.headers,
      Accept: 'application/json, */*;q=0.8',
      'User-agent': 'consent-gateway (hubspot-api-client-nodejs)',
      ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
    };
    const body: unknown = opts.body && json ? JSON.stringify(opts.body) : opts.body;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const req = send(
        url,
        { method: opts.method ?? 'GET', headers, agent: outbound.agentFor(url) },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const answer = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              if (typeof value === 'string') answer.set(name, value);
              else if (Array.isArray(value)) for (const v of value) answer.append(name, v);
            }
            const status = res.statusCode ?? 0;
            // Response takes 200-599 only; anything else is no HTTP answer the SDK could have read either.
            if (status < 200 || status > 599) return reject(new Error(`unexpected HTTP status ${status}`));
            const empty = status === 204 || status === 205 || status === 304;
            resolve(new Response(empty ? null : Buffer.concat(chunks), { status, headers: answer }));
          });
        },
      );
      req.on('error', reject);
      req.end(body === undefined || body === null ? undefined : (body as string | Buffer));
    });
  };
}

/** The generated APIs' HTTP library, sending every request (and every redirect hop node-fetch follows) through one agent. */
class AgentHttpLibrary extends IsomorphicFetchHttpLibrary {
  constructor(private readonly agent: Agent) {
    super();
  }

  override send(request: RequestContext) {
    request.setAgent(this.agent);
    return super.send(request);
  }
}

let agentSupportInstalled = false;

/**
 * Makes the SDK's `httpAgent` option work. In 13.5.0 the generated APIs apply the configured middleware only when a
 * call passes options of its own (`allMiddleware` starts empty otherwise, see any `types/ObservableAPI.js`), and
 * the agent is set by a middleware: so a client's `httpAgent` reaches no request, and every call connects wherever
 * DNS and redirects say. Every generated API takes its HTTP library from the parameters built here, so a client
 * configured with an agent gets a library that sets it on each request. Clients without `httpAgent` are unchanged.
 */
export function installHubspotAgentSupport(): void {
  if (agentSupportInstalled) return;
  agentSupportInstalled = true;
  const getParams = ApiClientConfigurator.getParams.bind(ApiClientConfigurator);
  ApiClientConfigurator.getParams = ((config, ...rest: unknown[]) => {
    const params = (getParams as (...args: unknown[]) => object)(config, ...rest);
    return config.httpAgent ? { ...params, httpApi: new AgentHttpLibrary(config.httpAgent) } : params;
  }) as typeof ApiClientConfigurator.getParams;
}
