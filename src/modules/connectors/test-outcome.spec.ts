import { Logger } from '@nestjs/common';
import {
  AuthExpiredError,
  AuthFailedError,
  PermanentError,
  RateLimitedError,
  TransientError,
} from './connector.port';
import { TEST_FAILURE, testFailure } from './test-outcome';

const socketError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe(testFailure.name, () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterAll(() => jest.restoreAllMocks());

  it('says the same for a closed port, a timeout, a reset, a TLS mismatch and a DNS failure (no port scanner)', () => {
    const failures = [
      new TransientError('request failed: connect ECONNREFUSED 127.0.0.1:5432'),
      new TransientError('request failed: no answer within 20000 ms'),
      new TransientError('HubSpot unreachable (ECONNRESET): socket hang up'),
      socketError('EPROTO', 'SSL routines:ssl3_get_record:wrong version number'),
      socketError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal'),
      new Error('something unexpected'),
    ];
    const details = failures.map((e) => testFailure(e).detail);
    expect(new Set(details)).toEqual(new Set([TEST_FAILURE.unreachable]));
  });

  it("tells the guard's refusal, wherever it is wrapped", () => {
    expect(testFailure(socketError('EPRIVATE', 'refused')).detail).toBe(TEST_FAILURE.notAllowed);
    expect(testFailure(Object.assign(new PermanentError('x'), { code: 'EPRIVATE' })).detail).toBe(
      TEST_FAILURE.notAllowed,
    );
  });

  it('names the class of an HTTP answer, never its body', () => {
    expect(testFailure(new Error('processor answered 404'), 404).detail).toBe(TEST_FAILURE.clientError);
    expect(testFailure(new Error('processor answered 500: stack trace...'), 500).detail).toBe(
      TEST_FAILURE.serverError,
    );
    expect(testFailure(new Error('redirect'), 302).detail).toBe(TEST_FAILURE.redirect);
    expect(testFailure(new Error('forbidden'), 403).detail).toBe(TEST_FAILURE.credentials);
    expect(
      testFailure(Object.assign(new PermanentError('HubSpot 400 VALIDATION'), { status: 400 })).detail,
    ).toBe(TEST_FAILURE.clientError);
  });

  it('tells refused credentials, throttling and a refusal from the vendor', () => {
    expect(testFailure(new AuthExpiredError('HubSpot 401')).detail).toBe(TEST_FAILURE.credentials);
    expect(testFailure(new AuthFailedError('invalid_grant')).detail).toBe(TEST_FAILURE.credentials);
    expect(testFailure(new RateLimitedError('429', 1000)).detail).toBe(TEST_FAILURE.rateLimited);
    expect(testFailure(new PermanentError('Salesforce INVALID_TYPE: no such object')).detail).toBe(
      TEST_FAILURE.refused,
    );
  });

  it('is always a failure', () => {
    expect(testFailure(new Error('x')).ok).toBe(false);
  });
});
