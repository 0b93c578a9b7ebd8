import { registerDecorator, type ValidationOptions } from 'class-validator';
import { normalisePhone } from '../phone-number';

/**
 * A phone number libphonenumber-js accepts as valid, in international form (+ and country code); with
 * `whatsAppDigits`, also as WhatsApp shows it (country code first, no +: 4915112345001), read by the same phone
 * parsing as intake.
 */
export function IsPhoneNumber(options?: ValidationOptions & { whatsAppDigits?: boolean }) {
  const { whatsAppDigits = false, ...validation } = options ?? {};
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isPhoneNumber',
      target: object.constructor,
      propertyName,
      options: {
        message: whatsAppDigits
          ? 'must be a valid phone number with its country code, e.g. +16505551234 or 16505551234'
          : 'must be a valid phone number in international format, e.g. +16505551234',
        ...validation,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          (value.startsWith('+') || (whatsAppDigits && /^\d+$/.test(value))) &&
          normalisePhone(value) !== null,
      },
    });
}
