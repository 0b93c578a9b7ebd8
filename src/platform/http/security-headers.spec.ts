import { DOCS_CSP, securityHeadersFor } from './security-headers';

const headersOf = (path: string, https = false) => new Map(securityHeadersFor(path, { https }));

describe(securityHeadersFor.name, () => {
  it('forbids sniffing, framing and caching of anything the API answers', () => {
    const headers = headersOf('/v1/consents');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(headers.get('cache-control')).toBe('no-store');
  });

  it("gives /docs Swagger UI's policy and lets its assets be cached", () => {
    const headers = headersOf('/docs/swagger-ui-bundle.js');
    expect(headers.get('content-security-policy')).toBe(DOCS_CSP);
    expect(headers.has('cache-control')).toBe(false);
    expect(DOCS_CSP).not.toMatch(/script-src[^;]*'unsafe/);
  });

  it('adds the HTML document headers to /docs only, keeping the JSON answers short', () => {
    expect(headersOf('/docs').get('referrer-policy')).toBe('no-referrer');
    expect(headersOf('/docs').get('cross-origin-opener-policy')).toBe('same-origin');
    expect(headersOf('/v1/consents/check').has('referrer-policy')).toBe(false);
    expect([...headersOf('/v1/consents/check').keys()]).toEqual([
      'x-content-type-options',
      'x-frame-options',
      'content-security-policy',
      'cache-control',
    ]);
  });

  it('sends HSTS only when the gateway is served over https', () => {
    expect(headersOf('/v1', true).get('strict-transport-security')).toBe('max-age=31536000');
    expect(headersOf('/v1', false).has('strict-transport-security')).toBe(false);
  });
});
