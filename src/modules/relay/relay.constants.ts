/** NOTIFY channel: rows were recorded (or replayed) and are due now. */
export const RELAY_CHANNEL = 'cg_relay_due';
