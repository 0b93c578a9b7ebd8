/**
 * Salesforce-style record ids: a 3-character key prefix, a 12-character body (15 characters, case-sensitive) and
 * the 3-character case-safe suffix that turns it into the 18-character id the REST API returns.
 */

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The 3-character suffix: one character per 5-character chunk, bit i set when character i is an upper-case letter. */
export function caseSafeSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const ch = id15.charAt(chunk * 5 + i);
      if (ch >= 'A' && ch <= 'Z') bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET.charAt(bits);
  }
  return suffix;
}

/** The 18-character form of a 15- or 18-character id, or undefined when the value is not id-shaped. */
export function toId18(value: string): string | undefined {
  if (/^[a-zA-Z0-9]{15}$/.test(value)) return value + caseSafeSuffix(value);
  if (/^[a-zA-Z0-9]{18}$/.test(value)) {
    const id15 = value.slice(0, 15);
    // The suffix is case-insensitive in practice; normalise it to the canonical form.
    return value.slice(15).toUpperCase() === caseSafeSuffix(id15) ? id15 + caseSafeSuffix(id15) : undefined;
  }
  return undefined;
}

/** Builds the 18-character id of the n-th record with a key prefix, e.g. `003xx0000000001AAA`-like. */
export function makeId(prefix: string, n: number, pod = 'xx'): string {
  let body = '';
  let rest = n;
  do {
    body = BASE62.charAt(rest % 62) + body;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  const id15 = (prefix + pod + body.padStart(10, '0')).slice(0, 15);
  return id15 + caseSafeSuffix(id15);
}
