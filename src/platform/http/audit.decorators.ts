import { SetMetadata } from '@nestjs/common';

export const AUDIT_READ = 'cg:audit-read';

/** A read of a person's data: audited like a change (who looked, when, from where). */
export const AuditRead = (action: string) => SetMetadata(AUDIT_READ, action);
