import { ConfirmationBodyError } from './propagation.errors';

/** The event types a processor confirms an erasure with. */
export const CONFIRMATION_TYPES = ['subject.erasure_completed', 'subject.erasure_failed'] as const;
export type ConfirmationType = (typeof CONFIRMATION_TYPES)[number];

export interface ConfirmationBody {
  type: ConfirmationType;
  deliveryId: string;
  detail: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_DETAIL = 2000;

const invalid = (field: string, message: string) =>
  new ConfirmationBodyError(`The confirmation's ${field} ${message}.`, [{ field, message }]);

/**
 * `{ "type": "subject.erasure_completed" | "subject.erasure_failed", "data": { "delivery_id": uuid, "detail"?: text } }`,
 * read from the signed bytes themselves (what was verified is what is read). Errors name the field, never a value.
 */
export function parseConfirmationBody(raw: Buffer): ConfirmationBody {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw invalid('body', 'is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('body', 'must be an object');
  const { type, data } = body as { type?: unknown; data?: unknown };
  if (typeof type !== 'string' || !(CONFIRMATION_TYPES as readonly string[]).includes(type))
    throw invalid('type', `must be one of ${CONFIRMATION_TYPES.join(', ')}`);
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw invalid('data', 'must be an object');
  const { delivery_id: deliveryId, detail } = data as { delivery_id?: unknown; detail?: unknown };
  if (typeof deliveryId !== 'string' || !UUID.test(deliveryId))
    throw invalid('data.delivery_id', 'must be a UUID');
  if (detail !== undefined && detail !== null && (typeof detail !== 'string' || detail.length > MAX_DETAIL))
    throw invalid('data.detail', `must be text of at most ${MAX_DETAIL} characters`);
  return {
    type: type as ConfirmationType,
    deliveryId: deliveryId.toLowerCase(),
    detail: (detail as string | null) ?? null,
  };
}
