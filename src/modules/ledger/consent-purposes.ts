import { readFileSync } from 'node:fs';

/**
 * The purposes the business asks consent for (config/consent.json `purposes`), read once; 'marketing' is always
 * among them (the purpose an objection to direct marketing must end whatever the file says).
 */
export function configuredPurposes(path: string): string[] {
  let listed: unknown = [];
  try {
    listed = (JSON.parse(readFileSync(path, 'utf8')) as { purposes?: unknown }).purposes;
  } catch {
    // The whatsapp module validates this file at boot; a reader here only falls back to the one certain purpose.
  }
  const purposes = Array.isArray(listed) ? listed.filter((p): p is string => typeof p === 'string') : [];
  return [...new Set(['marketing', ...purposes])];
}
