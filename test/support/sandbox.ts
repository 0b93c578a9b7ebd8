import { json, type TestApp } from './app';
import { createValidDpa } from './registry';

/** The OAuth client the simulators accept, and the gateway is configured with in tests. */
export const SANDBOX_CLIENT = { id: 'sandbox-client-id', secret: 'sandbox-client-secret' };

/** Environment that lets a test gateway reach the simulators and run OAuth flows against itself. */
export function sandboxEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    OUTBOUND_ALLOWLIST: '127.0.0.1:*',
    HUBSPOT_CLIENT_ID: SANDBOX_CLIENT.id,
    HUBSPOT_CLIENT_SECRET: SANDBOX_CLIENT.secret,
    SALESFORCE_CLIENT_ID: SANDBOX_CLIENT.id,
    SALESFORCE_CLIENT_SECRET: SANDBOX_CLIENT.secret,
    ...extra,
  };
}

type Api = (path: string, init?: RequestInit & { key?: string | null }) => Promise<Response>;

/**
 * The `cookie` header a client that keeps cookies sends back after /authorize: the flow's binding cookie, which
 * the callback requires (a state completes only the flow of whoever started it).
 */
export function bindingCookieOf(authorize: Response): string {
  const cookie = authorize.headers.get('set-cookie');
  expect(cookie).toMatch(/^cg_oauth_binding=/);
  return cookie!.split(';')[0];
}

/**
 * Connects an account through the real OAuth web-server flow: the gateway redirects to the simulator's
 * consent screen, which redirects back to the gateway's callback. Returns the new connection's id.
 */
export async function connectByOAuth(
  api: Api,
  type: 'hubspot' | 'salesforce',
  baseUrl: string,
  name: string = type,
): Promise<string> {
  const authorize = await api(
    `/v1/connections/oauth/${type}/authorize?name=${encodeURIComponent(name)}&base_url=${encodeURIComponent(baseUrl)}`,
    { redirect: 'manual' },
  );
  expect(authorize.status).toBe(302);
  const consent = await fetch(authorize.headers.get('location')!, { redirect: 'manual' });
  expect(consent.status).toBe(302);
  // The simulator redirects back to the gateway's callback: that request goes to the gateway via `api`.
  const back = new URL(consent.headers.get('location')!);
  const callback = await api(back.pathname + back.search, {
    key: null,
    headers: { cookie: bindingCookieOf(authorize) },
  });
  expect(callback.status).toBe(201);
  return ((await callback.json()) as { id: string }).id;
}

/**
 * Grants reach only vendors with a valid DPA (Art. 28): records a complete signed one (document and every
 * clause) for each connection's vendor.
 */
export async function signDpas(gw: TestApp, connectionIds: readonly string[]): Promise<void> {
  for (const connectionId of connectionIds) {
    const { vendor_id: vendorId } = await json(await gw.api(`/v1/connections/${connectionId}`));
    expect((await createValidDpa(gw, vendorId as string)).valid).toBe(true);
  }
}
