/**
 * The controller's details as receipts and exports name them, and when they count as filled in: every field
 * present and none a placeholder (the built-in defaults, "example" addresses, reserved domains).
 */
export interface ControllerDetails {
  name: string;
  contact: string;
  email: string;
  address: string;
  /** The privacy policy (receipts: piiControllerUrl and policyUrl). */
  privacy_policy_url: string | null;
}

export const CONTROLLER_FIELDS = ['name', 'contact', 'email', 'address', 'privacy_policy_url'] as const;
export type ControllerField = (typeof CONTROLLER_FIELDS)[number];

/** Values the gateway ships with, and what people type while trying it out. */
const PLACEHOLDER_TEXT = new Set([
  'consent gateway operator',
  'not configured',
  'data protection officer',
  'tbd',
  'todo',
  'n/a',
  'none',
  'test',
]);
/** Reserved for examples and tests (RFC 2606, RFC 6761). */
const PLACEHOLDER_DOMAIN = /(^|\.)(example(\.(com|org|net))?|invalid|test|localhost)$/i;

function hostOf(value: string): string | null {
  if (value.includes('@')) return value.slice(value.lastIndexOf('@') + 1);
  try {
    return new URL(value).hostname;
  } catch {
    return null;
  }
}

/** Whether one value is missing or a placeholder. `contact` may be a role, so only emptiness counts there. */
export function isPlaceholder(field: ControllerField, value: string | null | undefined): boolean {
  const text = value?.trim() ?? '';
  if (!text) return true;
  if (field === 'contact') return false;
  if (PLACEHOLDER_TEXT.has(text.toLowerCase())) return true;
  if (field === 'email' || field === 'privacy_policy_url') {
    const host = hostOf(text);
    return host === null || PLACEHOLDER_DOMAIN.test(host);
  }
  return false;
}

/** The fields still to fill in (empty when the details are complete). */
export function missingFields(details: ControllerDetails): ControllerField[] {
  return CONTROLLER_FIELDS.filter((field) => isPlaceholder(field, details[field]));
}
