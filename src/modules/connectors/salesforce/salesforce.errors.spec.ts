import { AuthFailedError, PermanentError, RateLimitedError, TransientError } from '../connector.port';
import { classifyRecordError, classifySalesforceError, withoutPersonalData } from './salesforce.errors';

/** jsforce's HttpApiError: name and errorCode from Salesforce's body. */
const apiError = (errorCode: string, message: string) =>
  Object.assign(new Error(message), { name: errorCode, errorCode });

describe(classifySalesforceError.name, () => {
  it('backs the whole connection off on REQUEST_LIMIT_EXCEEDED', () => {
    const err = classifySalesforceError(apiError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
    expect(err).toBeInstanceOf(RateLimitedError);
    expect((err as RateLimitedError).retryAfterMs).toBeGreaterThanOrEqual(15 * 60_000);
  });

  it('treats a session the REST API refuses as an auth failure (jsforce does not refresh it)', () => {
    const err = classifySalesforceError(
      apiError('INVALID_SESSION_ID', 'This session is not valid for use with the REST API'),
    );
    expect(err).toBeInstanceOf(AuthFailedError);
  });

  it('treats INVALID_SESSION_ID that reaches it (after the one refresh) as an auth failure', () => {
    expect(
      classifySalesforceError(apiError('INVALID_SESSION_ID', 'Session expired or invalid')),
    ).toBeInstanceOf(AuthFailedError);
  });

  it('treats OAuth refusals of the token endpoint as auth failures', () => {
    const err = Object.assign(new Error('expired access/refresh token'), { name: 'invalid_grant' });
    expect(classifySalesforceError(err)).toBeInstanceOf(AuthFailedError);
  });

  it('treats 5xx, lock contention and network failures as transient', () => {
    expect(
      classifySalesforceError(apiError('UNKNOWN_EXCEPTION', 'An unexpected error occurred')),
    ).toBeInstanceOf(TransientError);
    expect(classifySalesforceError(apiError('ERROR_HTTP_503', 'Service Unavailable'))).toBeInstanceOf(
      TransientError,
    );
    expect(
      classifySalesforceError(apiError('UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access')),
    ).toBeInstanceOf(TransientError);
    const reset = Object.assign(new Error('request to http://x failed, reason: socket hang up'), {
      name: 'FetchError',
      code: 'ECONNRESET',
      type: 'system',
    });
    expect(classifySalesforceError(reset)).toBeInstanceOf(TransientError);
  });

  it('treats other 4xx as permanent, keeping Salesforce’s message', () => {
    const err = classifySalesforceError(
      apiError('INVALID_FIELD', "No such column 'Foo' on entity 'Contact'"),
    );
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toContain("No such column 'Foo'");
    expect(classifySalesforceError(apiError('MALFORMED_QUERY', 'unexpected token: OR'))).toBeInstanceOf(
      PermanentError,
    );
    expect(classifySalesforceError(apiError('ERROR_HTTP_404', 'Not Found'))).toBeInstanceOf(PermanentError);
  });

  it('passes connector errors through', () => {
    const original = new AuthFailedError('guard');
    expect(classifySalesforceError(original)).toBe(original);
  });
});

describe(classifyRecordError.name, () => {
  it('fails a refused record permanently with its code, message and fields', () => {
    const err = classifyRecordError([
      {
        statusCode: 'REQUIRED_FIELD_MISSING',
        message: 'Required fields are missing: [Name]',
        fields: ['Name'],
      },
    ]);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toBe('Salesforce REQUIRED_FIELD_MISSING: Required fields are missing: [Name] [Name]');
  });

  it('lets a locked record be retried', () => {
    expect(classifyRecordError([{ statusCode: 'UNABLE_TO_LOCK_ROW', message: 'locked' }])).toBeInstanceOf(
      TransientError,
    );
  });
});

describe('withoutPersonalData', () => {
  it('withholds quoted emails and phone numbers, and SOSL search terms, from an error text', () => {
    const error = new PermanentError(
      "Salesforce INVALID_FIELD: SELECT Id FROM Contact WHERE Email IN ('ada@example.com') OR Phone = '+1 (650) 253-0000'",
    );
    expect(withoutPersonalData(error).message).toBe(
      "Salesforce INVALID_FIELD: SELECT Id FROM Contact WHERE Email IN ('…') OR Phone = '…'",
    );
    expect(
      withoutPersonalData(new PermanentError('MALFORMED_SEARCH: FIND {16502530000 OR 6502530000} IN PHONE'))
        .message,
    ).toBe('MALFORMED_SEARCH: FIND {…} IN PHONE');
  });

  it("keeps names of fields and objects, which say what is wrong with the org's metadata", () => {
    const text = "Salesforce INVALID_FIELD: No such column 'Foo' on entity 'Contact'";
    expect(withoutPersonalData(new PermanentError(text)).message).toBe(text);
  });
});
