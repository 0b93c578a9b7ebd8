import { SCOPES, type Scope } from '../../platform/http/scopes';

export const ROLES = ['admin', 'crm_admin', 'dpo', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What each console role may do, as API scopes (one authorisation model for keys and people).
 * Person-level data (timelines, lookups, data-subject requests) is for DPOs and admins only.
 */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  admin: SCOPES,
  crm_admin: [
    'connections:read',
    'connections:admin',
    'deliveries:read',
    'deliveries:retry',
    'overview:read',
    'registry:read',
  ],
  dpo: [
    'registry:read',
    'registry:write',
    'deliveries:read',
    'deliveries:retry',
    'subjects:read',
    'consent:read',
    'audit:read',
    'overview:read',
    'connections:read',
    'requests:read',
    'requests:write',
    'requests:verify',
  ],
  viewer: ['overview:read', 'connections:read', 'deliveries:read', 'registry:read'],
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * The scopes of `wanted` that `held` lacks. Nobody grants what they cannot do themselves: an API key
 * mints keys within its own scopes, and a role is "above" a caller exactly when it allows a scope the
 * caller lacks (roles are sets of scopes, so "above" is "not contained in", not a rank).
 */
export function scopesBeyond(wanted: readonly Scope[], held: readonly Scope[]): Scope[] {
  return wanted.filter((scope) => !held.includes(scope));
}
