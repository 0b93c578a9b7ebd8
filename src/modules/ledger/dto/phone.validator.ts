import { registerDecorator, type ValidationOptions } from 'class-validator';
import { normalisePhone } from '../phone-number';

/** A phone number libphonenumber-js accepts as valid, in international form (+ and country code). */
export function IsPhoneNumber(options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isPhoneNumber',
      target: object.constructor,
      propertyName,
      options: {
        message: 'must be a valid phone number in international format, e.g. +16505551234',
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && value.startsWith('+') && normalisePhone(value) !== null,
      },
    });
}
