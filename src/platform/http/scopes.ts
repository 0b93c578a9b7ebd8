/** Scopes an API key can carry. A route names the scopes it requires; a key without them gets 403. */
export const SCOPES = [
  'consent:read',
  'consent:write',
  'subjects:read',
  'keys:admin',
  'inbox:admin',
  'metrics:read',
  'connections:read',
  'connections:admin',
  'deliveries:read',
  'deliveries:retry',
  'registry:read',
  'registry:write',
  'audit:read',
  'users:admin',
  'overview:read',
  'requests:read',
  'requests:write',
  // Records how a requester's identity was verified: a separate scope, so an automation key that files
  // requests cannot also vouch for who made them.
  'requests:verify',
] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
