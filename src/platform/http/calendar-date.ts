import { registerDecorator, type ValidationOptions } from 'class-validator';

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A real calendar day as YYYY-MM-DD: the pattern alone lets 2026-02-30 or 2026-04-31 through, which
 * PostgreSQL then refuses (a 500). The day must exist in the proleptic Gregorian calendar.
 */
export function isCalendarDate(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const match = DAY.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(2000, month - 1, day));
  date.setUTCFullYear(year);
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** Validates a date-only field (YYYY-MM-DD) as a day that exists; the message names the format. */
export function IsCalendarDate(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isCalendarDate',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'must be a calendar date as YYYY-MM-DD', ...options },
      validator: { validate: isCalendarDate },
    });
  };
}
