import { InsufficientScopeError } from './auth.errors';
import { ROLE_SCOPES, scopesBeyond, type Role } from './roles';
import type { Scope } from '../../platform/http/scopes';

/** Refuses (403, naming them) scopes a caller would give away without holding them. */
export function assertMayGrantScopes(held: readonly Scope[], wanted: readonly Scope[]): void {
  const beyond = scopesBeyond(wanted, held);
  if (beyond.length)
    throw new InsufficientScopeError(`You cannot grant scopes you do not hold: ${beyond.join(', ')}.`, [
      { field: 'scopes', message: `not held by you: ${beyond.join(', ')}` },
    ]);
}

/**
 * Refuses (403) giving a role above the caller's, or managing a user whose role is above it (which would
 * let a lesser admin disable or demote a greater one).
 */
export function assertMayGrantRole(held: readonly Scope[], role: Role, field: 'role' | 'id'): void {
  const beyond = scopesBeyond(ROLE_SCOPES[role], held);
  if (beyond.length)
    throw new InsufficientScopeError(
      `The role ${role} allows what you may not (${beyond.join(', ')}), so you cannot ${
        field === 'role' ? 'grant it' : 'change a user who has it'
      }.`,
      [{ field, message: `role ${role} is above yours` }],
    );
}
