import { SetMetadata } from '@nestjs/common';

export const AUDIT_READ = 'cg:audit-read';

/** A read of a person's data: audited like a change (who looked, when, from where). */
export const AuditRead = (action: string) => SetMetadata(AUDIT_READ, action);

/**
 * An action done on a safe method, audited under this name like a change: the OAuth callback, a GET by the
 * vendor's redirect, creates a connection.
 */
export const AuditAction = (action: string) => SetMetadata(AUDIT_READ, action);
