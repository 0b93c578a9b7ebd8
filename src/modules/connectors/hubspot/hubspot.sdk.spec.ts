import { AuthExpiredError, PermanentError, RateLimitedError, TransientError } from '../connector.port';
import { classifyHubspotError, hubspotRetryAfterMs, HubspotPermanentError } from './hubspot.sdk';

const apiError = (code: number, body: unknown, headers: Record<string, string> = {}) => ({
  code,
  body,
  headers,
  message: 'HTTP-Code: ' + code,
});

describe(hubspotRetryAfterMs.name, () => {
  const now = Date.parse('2025-06-01T23:59:00.000Z');

  it('waits the rolling window for TEN_SECONDLY_ROLLING', () => {
    const body = {
      policyName: 'TEN_SECONDLY_ROLLING',
      message: 'You have reached your ten_secondly_rolling limit.',
    };
    expect(hubspotRetryAfterMs(body, { 'x-hubspot-ratelimit-interval-milliseconds': '10000' }, now)).toBe(
      10_000,
    );
    expect(hubspotRetryAfterMs(body, {}, now)).toBe(10_000);
  });

  it('waits one second for the search "secondly" limit', () => {
    expect(hubspotRetryAfterMs({ message: 'You have reached your secondly limit.' }, {}, now)).toBe(1000);
  });

  it('waits until after midnight UTC for the daily limit', () => {
    expect(
      hubspotRetryAfterMs({ policyName: 'DAILY', message: 'You have reached your daily limit.' }, {}, now),
    ).toBe(61_000);
  });
});

describe(classifyHubspotError.name, () => {
  it('classifies HTTP failures once', () => {
    const limited = classifyHubspotError(apiError(429, { message: 'You have reached your secondly limit.' }));
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect((limited as RateLimitedError).retryAfterMs).toBe(1000);
    expect(classifyHubspotError(apiError(401, { category: 'EXPIRED_AUTHENTICATION' }))).toBeInstanceOf(
      AuthExpiredError,
    );
    expect(classifyHubspotError(apiError(502, 'Bad gateway'))).toBeInstanceOf(TransientError);
    const refused = classifyHubspotError(
      apiError(400, { category: 'VALIDATION_ERROR', message: 'Property values were not valid' }),
    );
    expect(refused).toBeInstanceOf(PermanentError);
    expect(refused).toBeInstanceOf(HubspotPermanentError);
    expect(refused.message).toBe('HubSpot 400 VALIDATION_ERROR: Property values were not valid');
  });

  it('treats network and code-less failures as transient', () => {
    expect(
      classifyHubspotError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })),
    ).toBeInstanceOf(TransientError);
    expect(classifyHubspotError(new Error('Cannot parse content. No Content-Type defined.'))).toBeInstanceOf(
      TransientError,
    );
  });

  it('passes connector errors through unchanged', () => {
    const error = new PermanentError('already classified');
    expect(classifyHubspotError(error)).toBe(error);
  });
});
