import pino, { type LoggerOptions } from 'pino';
import type { Params } from 'nestjs-pino';
import { Writable } from 'node:stream';
import { loggerParams, REDACTED_PATHS, redactUrl } from './logging';
import { prettyMessage } from './pretty-logs';

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

describe(loggerParams.name, () => {
  function pinoOptions(params: Params): LoggerOptions {
    const http = params.pinoHttp;
    return (Array.isArray(http) ? http[0] : http) as LoggerOptions;
  }

  it('writes plain JSON in the json format and through the pretty stream in the pretty format', () => {
    expect(Array.isArray(loggerParams({ level: 'info', format: 'json' }).pinoHttp)).toBe(false);
    expect(Array.isArray(loggerParams({ level: 'info', format: 'pretty' }).pinoHttp)).toBe(true);
  });

  it('redacts the same paths in both formats', () => {
    for (const format of ['json', 'pretty'] as const) {
      expect(pinoOptions(loggerParams({ level: 'info', format })).redact).toEqual({
        paths: REDACTED_PATHS,
        censor: '[REDACTED]',
      });
    }
  });

  it("logs Nest's route mapping at debug, and every other line at its own level", () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const { hooks } = pinoOptions(loggerParams({ level: 'info', format: 'json' }));
    const infoLogger = pino({ level: 'info', hooks }, stream);
    infoLogger.info({ context: 'RouterExplorer' }, 'Mapped {/health, GET} route');
    infoLogger.info({ context: 'NestApplication' }, 'Nest application successfully started');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('successfully started');
    const debugLogger = pino({ level: 'debug', hooks }, stream);
    debugLogger.info({ context: 'RoutesResolver' }, 'HealthController {/health}');
    expect(JSON.parse(lines[1]) as { level: number }).toMatchObject({ level: 20 });
  });
});

describe(prettyMessage.name, () => {
  it('leads with the context and the request, then the message', () => {
    expect(
      prettyMessage(
        {
          context: 'Http',
          req: { method: 'GET', url: '/v1/consents?phone=[REDACTED]' },
          res: { statusCode: 200 },
          responseTime: 4,
          msg: 'request completed',
        },
        'msg',
      ),
    ).toBe('[Http] GET /v1/consents?phone=[REDACTED] 200 4 ms request completed');
  });
});

describe('logged errors', () => {
  function captureWithParams() {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const params = loggerParams({ level: 'info', format: 'json' }).pinoHttp as LoggerOptions;
    return { logger: pino(params, stream), text: () => lines.join('') };
  }

  it('scrubs phones, emails and wamids from an error message a vendor wrote', () => {
    const { logger, text } = captureWithParams();
    logger.error(
      {
        err: { message: 'Property phone +1 (650) 555-1234 of jane@example.com is invalid (wamid.HBgLMTY1)' },
      },
      'drain failed',
    );
    logger.error({ err: new Error('409 Conflict: contact 16505551234 already exists') }, 'call failed');
    expect(text()).not.toMatch(/650\) 555|16505551234|jane@example|wamid\.HBg/);
    expect(text()).toContain('[phone]');
    expect(text()).toContain('[email]');
    expect(text()).toContain('409 Conflict');
  });
});
