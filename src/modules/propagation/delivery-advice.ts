import { NOT_FOUND_AT_VENDOR } from '../connectors';
import { DPA_MISSING } from './dpa-hold';
import type { DeliveryOperation, DeliveryStatus } from './propagation.constants';

/**
 * What a delivery told the processor: the request operation, or for a consent update the status its change
 * carried (the push carries the person's state in force, which the latest change set). `current_state`: no change
 * behind it (a record came back or showed an older value, and was sent the state in force).
 */
export type DeliveryDirection =
  'grant' | 'withdrawal' | 'current_state' | 'erasure' | 'restriction' | 'rectification' | 'access_export';

export function directionOf(
  operation: DeliveryOperation,
  triggerStatus: 'granted' | 'withdrawn' | null | undefined,
): DeliveryDirection {
  if (operation !== 'consent_update') return operation;
  if (triggerStatus === 'granted') return 'grant';
  if (triggerStatus === 'withdrawn') return 'withdrawal';
  return 'current_state';
}

/**
 * Why a retry would not help, or null when it may: a delivery in flight or done; one skipped because the vendor
 * has no record of the person (it is sent again by itself when a record appears); one held for a missing DPA
 * (released by itself once the vendor's DPA is valid).
 */
export type RetryRefusal = 'not_finished' | 'succeeded' | 'waits_for_record' | 'waits_for_dpa';

export function retryRefusal(row: { status: DeliveryStatus; reason: string | null }): RetryRefusal | null {
  if (row.status === 'dead') return null;
  if (row.status === 'succeeded') return 'succeeded';
  if (row.status !== 'skipped') return 'not_finished';
  if (row.reason === NOT_FOUND_AT_VENDOR) return 'waits_for_record';
  if (row.reason === DPA_MISSING) return 'waits_for_dpa';
  return null;
}
