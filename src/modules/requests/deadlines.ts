/**
 * The deadline rules of a data-subject request (GDPR Art. 12(3)), pure: one calendar month after receipt,
 * extendable by up to two further months while the first month runs, and a clock that stops while paused.
 * All arithmetic is in UTC.
 */

const DAY_MS = 86_400_000;

/** The furthest a deadline may be extended, in months beyond the first (Art. 12(3): "two further months"). */
export const MAX_EXTENSION_MONTHS = 2;

/**
 * `date` plus whole calendar months, at the same time of day; a day that the target month lacks is clamped to
 * its last day (31 January + 1 month = 28 or 29 February). Always computed from the receipt, never chained, so
 * 31 January + 2 months is 31 March, not 28 March.
 */
export function addCalendarMonths(date: Date, months: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(date.getUTCDate(), lastDay);
  return new Date(
    Date.UTC(
      year,
      month,
      day,
      date.getUTCHours(),
      date.getUTCMinutes(),
      date.getUTCSeconds(),
      date.getUTCMilliseconds(),
    ),
  );
}

export interface PauseSpan {
  from: Date;
  /** null: the clock is stopped now. */
  to: Date | null;
}

export interface DeadlineFacts {
  receivedAt: Date;
  /** Months granted by extensions (0 when none). */
  extensionMonths: number;
  pauses: readonly PauseSpan[];
}

/** The first deadline: one calendar month after receipt. */
export function originalDueAt(receivedAt: Date): Date {
  return addCalendarMonths(receivedAt, 1);
}

/** Time the clock stood still in closed pauses. */
function closedPauseMs(pauses: readonly PauseSpan[]): number {
  return pauses.reduce((sum, p) => sum + (p.to ? Math.max(0, p.to.getTime() - p.from.getTime()) : 0), 0);
}

function openPause(pauses: readonly PauseSpan[]): PauseSpan | null {
  return pauses.find((p) => p.to === null) ?? null;
}

/**
 * The deadline as stored: receipt + 1 + extension months, pushed back by every closed pause. An open pause is
 * not in it (see `effectiveDueAt`): the stored value is what the deadline becomes if the clock resumes at once.
 */
export function storedDueAt(facts: DeadlineFacts): Date {
  const base = addCalendarMonths(facts.receivedAt, 1 + facts.extensionMonths);
  return new Date(base.getTime() + closedPauseMs(facts.pauses));
}

/** The deadline as of `now`: while paused, it moves on with the clock stopped. */
export function effectiveDueAt(facts: DeadlineFacts, now: Date): Date {
  const stored = storedDueAt(facts);
  const open = openPause(facts.pauses);
  if (!open) return stored;
  return new Date(stored.getTime() + Math.max(0, now.getTime() - open.from.getTime()));
}

export interface DeadlineStanding {
  dueAt: Date;
  /** Whole days left, rounded up (due in 3 h = 1 day); negative once overdue (overdue by 3 h = -1). */
  daysLeft: number;
  dueSoon: boolean;
  overdue: boolean;
  paused: boolean;
}

/**
 * Where an open request stands at `now`. A paused request is neither due soon nor overdue: its clock stands.
 * Due soon: the deadline is at most `dueSoonDays` away and not yet passed. Overdue: the deadline has passed.
 */
export function standing(facts: DeadlineFacts, now: Date, dueSoonDays: number): DeadlineStanding {
  const dueAt = effectiveDueAt(facts, now);
  const paused = openPause(facts.pauses) !== null;
  const left = dueAt.getTime() - now.getTime();
  const daysLeft = left >= 0 ? Math.ceil(left / DAY_MS) : -Math.ceil(-left / DAY_MS);
  const overdue = !paused && left <= 0;
  const dueSoon = !paused && !overdue && left <= dueSoonDays * DAY_MS;
  return { dueAt, daysLeft, dueSoon, overdue, paused };
}

export type ExtensionRefusal =
  | 'months_invalid'
  | 'too_many_months'
  | 'first_month_over'
  | 'notified_in_future'
  | 'notified_before_receipt';

/**
 * Whether an extension of `months` may be granted at `now` (null: it may). Art. 12(3): by one or two further
 * months in all (several extensions add up, never beyond two), only within the first month (before the original
 * deadline, pauses not counted: the person must be told within one month of receipt), and the person must have
 * been told, so the date they were told cannot be in the future or before the request arrived.
 */
export function extensionRefusal(
  facts: DeadlineFacts,
  months: number,
  subjectNotifiedAt: Date,
  now: Date,
): ExtensionRefusal | null {
  if (!Number.isInteger(months) || months < 1) return 'months_invalid';
  if (facts.extensionMonths + months > MAX_EXTENSION_MONTHS) return 'too_many_months';
  if (now.getTime() >= originalDueAt(facts.receivedAt).getTime()) return 'first_month_over';
  if (subjectNotifiedAt.getTime() > now.getTime()) return 'notified_in_future';
  if (subjectNotifiedAt.getTime() < facts.receivedAt.getTime()) return 'notified_before_receipt';
  return null;
}
