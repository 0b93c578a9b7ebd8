/**
 * The WhatsApp user a delivery is about (its counterpart): the sender of its first message, the recipient of
 * its first status, or its first contact. Deliveries of one counterpart are forwarded in order; Meta sends one
 * user's changes in one delivery, so the first is the one (a delivery with several users is ordered by its
 * first). null when there is none (an account update): such deliveries are ordered by nothing.
 */
export function counterpartWaId(rawBody: Buffer): string | null {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return null;
  }
  for (const entry of list(field(body, 'entry'))) {
    for (const change of list(field(entry, 'changes'))) {
      const value = field(change, 'value');
      const candidates = [
        field(list(field(value, 'messages'))[0], 'from'),
        field(list(field(value, 'statuses'))[0], 'recipient_id'),
        field(list(field(value, 'contacts'))[0], 'wa_id'),
        field(list(field(value, 'user_preferences'))[0], 'wa_id'),
      ];
      const found = candidates.find((c): c is string => typeof c === 'string' && c.length > 0);
      if (found) return found;
    }
  }
  return null;
}

function field(value: unknown, name: string): unknown {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
