/** What the gateway concluded of a delivery, for the receiving integration (X-Consent-Gateway-Consent). */
export type RelayConsent = 'withdrawn' | 'granted' | 'none';

/**
 * From the WhatsApp handler's summary: any item withdrawing consent makes the delivery `withdrawn` (the
 * integration must stop, whatever else the delivery says), else any granting makes it `granted`. The counters
 * count every item whose signal was a withdrawal or a grant, already recorded (a duplicate) or not.
 */
export function relayConsent(summary: Readonly<Record<string, number>>): RelayConsent {
  if ((summary.consent_withdrawn ?? 0) > 0) return 'withdrawn';
  if ((summary.consent_granted ?? 0) > 0) return 'granted';
  return 'none';
}
