import type { DeliveryOperation } from './propagation.constants';

/** Why a delivery was held (skipped), and the flag on one that went out anyway: the vendor has no valid DPA. */
export { DPA_MISSING } from '../vendors';

/**
 * Whether a delivery carries personal data beyond what a withdrawal needs, and so must wait for a valid DPA.
 * A push in which any state in force is a grant tells the processor it may use the person's data; a
 * rectification sends new values; an access request has the processor process the person's data for the
 * gateway (a read), so it waits like a grant. Withdrawals, erasures and restrictions are the person's rights
 * being honoured: they always go out (flagged).
 */
export function needsValidDpa(operation: DeliveryOperation, states: readonly { status: string }[]): boolean {
  switch (operation) {
    case 'consent_update':
      return states.some((s) => s.status === 'granted');
    case 'rectification':
    case 'access_export':
      return true;
    case 'erasure':
    case 'restriction':
      return false;
  }
}
