import { signStandardWebhook, standardWebhookKey, verifyStandardWebhook } from './standard-webhooks';

// The official test vector (standard-webhooks libraries/go/webhook_test.go and the C# tests).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';
const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

const headers = (signature = SIGNATURE, timestamp = String(TIMESTAMP), id = ID) => ({
  'webhook-id': id,
  'webhook-timestamp': timestamp,
  'webhook-signature': signature,
});

describe('Standard Webhooks v1', () => {
  it('signs the official test vector exactly', () => {
    expect(signStandardWebhook(SECRET, ID, TIMESTAMP, BODY)).toBe(SIGNATURE);
    expect(signStandardWebhook(SECRET, ID, String(TIMESTAMP), Buffer.from(BODY))).toBe(SIGNATURE);
    // The key is the base64-decoded part after whsec_; a bare base64 secret is the same key.
    expect(signStandardWebhook(SECRET.slice('whsec_'.length), ID, TIMESTAMP, BODY)).toBe(SIGNATURE);
    expect(standardWebhookKey(SECRET)).toHaveLength(24);
  });

  it('verifies the official test vector at its own time', () => {
    expect(verifyStandardWebhook(SECRET, headers(), BODY, { nowSeconds: TIMESTAMP })).toEqual({
      valid: true,
      id: ID,
      timestamp: TIMESTAMP,
    });
  });

  it('accepts a list with one matching v1 entry (key rotation) and ignores other versions', () => {
    const list = `v1a,${'A'.repeat(86)}== v1,bm90LXRoZS1zaWduYXR1cmU= ${SIGNATURE}`;
    expect(verifyStandardWebhook(SECRET, headers(list), BODY, { nowSeconds: TIMESTAMP }).valid).toBe(true);
  });

  it('refuses tampering, stale or future timestamps, and missing headers', () => {
    const at = { nowSeconds: TIMESTAMP };
    expect(verifyStandardWebhook(SECRET, headers(), '{"test": 2432232315}', at)).toEqual({
      valid: false,
      reason: 'no_matching_signature',
    });
    expect(
      verifyStandardWebhook(SECRET, headers(SIGNATURE, String(TIMESTAMP), 'msg_other'), BODY, at).valid,
    ).toBe(false);
    expect(
      verifyStandardWebhook(
        'whsec_' + Buffer.from('another key of 24 bytes!').toString('base64'),
        headers(),
        BODY,
        at,
      ).valid,
    ).toBe(false);
    expect(verifyStandardWebhook(SECRET, headers('v2,' + SIGNATURE.slice(3)), BODY, at).valid).toBe(false);
    expect(verifyStandardWebhook(SECRET, headers(), BODY, { nowSeconds: TIMESTAMP + 301 })).toEqual({
      valid: false,
      reason: 'timestamp_too_old',
    });
    expect(verifyStandardWebhook(SECRET, headers(), BODY, { nowSeconds: TIMESTAMP - 301 })).toEqual({
      valid: false,
      reason: 'timestamp_too_new',
    });
    expect(verifyStandardWebhook(SECRET, headers(), BODY, { nowSeconds: TIMESTAMP + 300 }).valid).toBe(true);
    expect(verifyStandardWebhook(SECRET, headers(SIGNATURE, 'abc'), BODY, at)).toEqual({
      valid: false,
      reason: 'invalid_timestamp',
    });
    expect(verifyStandardWebhook(SECRET, { 'webhook-id': ID }, BODY, at)).toEqual({
      valid: false,
      reason: 'missing_headers',
    });
  });

  it('refuses to sign an id containing "."', () => {
    expect(() => signStandardWebhook(SECRET, 'msg.1', TIMESTAMP, BODY)).toThrow();
  });
});
