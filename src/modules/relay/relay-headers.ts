import type { RelayConsent } from './relay-consent';

export interface RelayHeaderInput {
  deliveryId: string;
  signature: string | null;
  consent: RelayConsent;
  attempt: number;
  contentLength: number;
}

/**
 * The headers of one forwarded delivery. The body is Meta's bytes unchanged and Meta's X-Hub-Signature-256
 * goes with it, so the integration verifies it with the app secret as before. X-Consent-Gateway-Delivery is the
 * same on every attempt (the receiver de-duplicates by it); an attempt after the first may be a duplicate the
 * receiver already has (a lost answer, a sender killed mid-send) and says so.
 */
export function relayHeaders(input: RelayHeaderInput): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(input.contentLength),
    'user-agent': 'consent-gateway-relay/0.1',
    'x-consent-gateway-delivery': input.deliveryId,
    'x-consent-gateway-consent': input.consent,
    'x-consent-gateway-attempt': String(input.attempt),
  };
  if (input.signature) headers['x-hub-signature-256'] = input.signature;
  if (input.attempt > 1) headers['x-consent-gateway-redelivery'] = 'true';
  return headers;
}
