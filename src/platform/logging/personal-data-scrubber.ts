/**
 * Removes phone numbers, emails and WhatsApp message ids from a text that came from outside (a vendor's error
 * message, a processor's failure detail) before it is stored or logged. Vendors echo what they were sent: a
 * HubSpot validation error quotes the phone, a webhook processor's 4xx body quotes the email.
 *
 * What counts as a phone: a run of at least PHONE_MIN_DIGITS digits, as people type them (an optional `+`,
 * `%2B` or `00`, then digits separated by single spaces, dashes, dots, slashes or parentheses), standing alone
 * (not glued to letters, so ids such as `0035e00000ABCdef` or `abc123456789` stay). The trade-off, chosen for
 * safety: any stand-alone number of 7 digits or more is masked, including a vendor's numeric record id
 * (HubSpot's are 8-12 digits) or an epoch timestamp; the delivery keeps the vendor's record id in its own
 * column. Shorter numbers stay: HTTP statuses, Meta's error codes (131050), counts, ports, durations.
 * Kept as they are because they are not personal and help whoever reads the error: UUIDs (correlation ids),
 * ISO dates and times, dotted IPv4 addresses.
 */
const PHONE_MIN_DIGITS = 7;

const EMAIL = String.raw`[A-Za-z0-9._%+'-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`;
// A wamid base64-encodes the person's number (wamid.HBgLMTY1...).
const WAMID = String.raw`wamid\.[A-Za-z0-9+/=_-]+`;
const UUID = String.raw`\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b`;
const ISO_DATE_TIME = String.raw`\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?`;
const IPV4 = String.raw`\b(?:\d{1,3}\.){3}\d{1,3}\b(?![.\d])`;
// Separators between digits: one space-like character, dash, dot, slash or parenthesis (or a URL-encoded space),
// up to three in a row ("+1 (650) 555-1234", "0151 / 234 56 78").
const SEPARATOR = String.raw`(?:[ \t\u00A0\u202F.\-/()]|%20)`;
const OPEN_PAREN = String.raw`\(?`;
const PHONE = String.raw`(?<![A-Za-z0-9_])(?:\+|%2[Bb])?\(?\d(?:${SEPARATOR}{0,3}\d)*\)?(?![A-Za-z0-9_])`;

// One pass, alternatives in order: what must stay (UUIDs, dates, addresses, also in parentheses, where a phone
// could start) is matched before a phone could be.
const PATTERN = new RegExp(
  `(?<email>${EMAIL})|(?<wamid>${WAMID})|(?<keep>${OPEN_PAREN}(?:${UUID}|${ISO_DATE_TIME}|${IPV4}))|(?<phone>${PHONE})`,
  'g',
);

export const MASKED_EMAIL = '[email]';
export const MASKED_PHONE = '[phone]';
export const MASKED_WAMID = '[wamid]';

/** The text with every phone number, email and wamid replaced by a placeholder; everything else unchanged. */
export function scrubPersonalData(text: string): string {
  return text.replace(PATTERN, (match: string, ...args: unknown[]) => {
    const groups = args[args.length - 1] as Record<string, string | undefined>;
    if (groups.email !== undefined) return MASKED_EMAIL;
    if (groups.wamid !== undefined) return MASKED_WAMID;
    if (groups.keep !== undefined) return match;
    const digits = match.replace(/%2[Bb]|%20/g, '').replace(/\D/g, '').length;
    return digits >= PHONE_MIN_DIGITS ? MASKED_PHONE : match;
  });
}

/**
 * scrubPersonalData for a text about to be stored in a column of bounded length: at most `max` characters. The
 * text is scrubbed a little beyond `max` (so a number crossing the cut is still seen whole and masked) and never
 * beyond, which also bounds the work spent on a vendor's megabyte error page.
 */
export function scrubbedText(text: string, max: number): string {
  return scrubPersonalData(text.slice(0, max + 64)).slice(0, max);
}
