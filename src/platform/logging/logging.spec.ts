import pino from 'pino';
import { Writable } from 'node:stream';
import { REDACTED_PATHS, redactUrl } from './logging';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } }, stream);
  return { logger, text: () => lines.join('') };
}

describe(redactUrl.name, () => {
  it('keeps the path and the parameter names but not the values', () => {
    expect(redactUrl('/v1/consents/check?phone=%2B16505551234&purpose=marketing')).toBe(
      '/v1/consents/check?phone=[REDACTED]&purpose=[REDACTED]',
    );
  });

  it('leaves a URL without a query string alone', () => {
    expect(redactUrl('/health')).toBe('/health');
  });
});

describe('log redaction', () => {
  it('removes credentials and signatures from logged request headers', () => {
    const { logger, text } = capture();
    logger.info({
      req: {
        headers: {
          authorization: 'Bearer cgk_secret_value',
          'x-hub-signature-256': 'sha256=abcdef0123',
          cookie: 'sid=s3cr3t',
        },
      },
    });
    expect(text()).not.toMatch(/cgk_secret_value|abcdef0123|s3cr3t/);
  });

  it('removes phone numbers, wa_ids, emails and message bodies from logged objects', () => {
    const { logger, text } = capture();
    logger.info({
      item: { phone: '+16505551234', wa_id: '16505551234', email: 'jane@example.com', body: 'STOP pls' },
    });
    logger.info({ item: { text: 'my private text', from: '16505551234' } });
    expect(text()).not.toMatch(/16505551234|jane@example\.com|STOP pls|private text/);
    expect(text()).toContain('[REDACTED]');
  });

  it('removes tokens, keys, secrets and passwords', () => {
    const { logger, text } = capture();
    logger.info({
      connection: {
        access_token: 'at-123',
        refresh_token: 'rt-456',
        secret: 'whsec_x',
        password: 'pw',
        apiKey: 'k-9',
      },
    });
    expect(text()).not.toMatch(/at-123|rt-456|whsec_x|"pw"|k-9/);
  });
});
