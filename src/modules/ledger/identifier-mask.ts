import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * A phone number for display without revealing it: the country calling code and the last three digits
 * (+49 ••• ••• 789). Never the national digits in between.
 */
export function maskPhone(e164: string): string {
  const digits = e164.replace(/\D/g, '');
  const code = parsePhoneNumberFromString(e164)?.countryCallingCode;
  const last = digits.slice(-3);
  return code ? `+${code} ••• ••• ${last}` : `+••• ••• ${last}`;
}

/** An email for display: its first character and its domain (j•••@example.com). */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '•••';
  return `${email[0]}•••${email.slice(at)}`;
}
