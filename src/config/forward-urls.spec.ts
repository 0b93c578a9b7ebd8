import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './app-config';
import { parseForwardUrls, redactUrl } from './forward-urls';

describe('WHATSAPP_FORWARD_URLS', () => {
  it('takes comma-separated https URLs', () => {
    expect(parseForwardUrls(' https://crm.example.com/hook , https://bot.example.com/wa?k=1', [])).toEqual([
      'https://crm.example.com/hook',
      'https://bot.example.com/wa?k=1',
    ]);
  });

  it('takes http only for a host:port OUTBOUND_ALLOWLIST names', () => {
    expect(parseForwardUrls('http://127.0.0.1:8080/in', ['127.0.0.1:8080'])).toEqual([
      'http://127.0.0.1:8080/in',
    ]);
    expect(() => parseForwardUrls('http://127.0.0.1:8080/in', [])).toThrow(/must use https/);
    expect(() => parseForwardUrls('http://127.0.0.1:9090/in', ['127.0.0.1:8080'])).toThrow(/must use https/);
  });

  it('refuses other schemes, credentials and repeats, without echoing secrets', () => {
    expect(() => parseForwardUrls('ftp://example.com/x', [])).toThrow(/must be an https URL/);
    const credentials = () => parseForwardUrls('https://user:s3cret@example.com/x', []);
    expect(credentials).toThrow(/must not carry credentials/);
    expect(credentials).not.toThrow(/s3cret/);
    expect(() => parseForwardUrls('https://a.example/x,https://a.example/x', [])).toThrow(/listed twice/);
  });

  it('stops the start with an error naming the variable', () => {
    expect(() =>
      loadConfig({
        NODE_ENV: 'test',
        DATA_DIR: mkdtempSync(join(tmpdir(), 'cg-relay-config-')),
        WHATSAPP_APP_SECRET: 'test-app-secret',
        WHATSAPP_FORWARD_URLS: 'http://integration.internal/hook',
      }),
    ).toThrow(/WHATSAPP_FORWARD_URLS/);
  });

  it('shows URLs without query string or credentials', () => {
    expect(redactUrl('https://u:p@crm.example.com/hook?token=abc')).toBe('https://crm.example.com/hook?…');
  });
});
