import { readJsonConfigFile } from './json-file';

/** Request types a WhatsApp keyword can start (rectification needs the corrected value, so it cannot). */
export const KEYWORD_REQUEST_TYPES = ['erasure', 'access', 'objection', 'restriction'] as const;
export type KeywordRequestType = (typeof KEYWORD_REQUEST_TYPES)[number];

/** The languages the STOP keywords of config/consent.json are given in; request keywords use the same. */
export const KEYWORD_LANGUAGES = ['en', 'fr', 'es', 'pt', 'de', 'it'] as const;

/** Validated config/requests.json. Keywords are as written; the whatsapp module folds them for matching. */
export interface RequestsConfig {
  /** type → language → keywords as written in the file. */
  readonly keywords: Readonly<
    Partial<Record<KeywordRequestType, Readonly<Record<string, readonly string[]>>>>
  >;
  /** Calendar months without activity (and no consent in force) after which a person is erased. */
  readonly inactiveMonths: number;
  /** A request is "due soon" this many days before its deadline (overview, metrics, request.due_soon). */
  readonly dueSoonDays: number;
  /** An open manual task is reminded of every this many days (request.task_reminder). */
  readonly taskReminderDays: number;
}

const DEFAULTS = { inactiveMonths: 24, dueSoonDays: 7, taskReminderDays: 3 };

/** Reads and validates a requests config file; throws an Error naming the offending key. */
export function loadRequestsConfig(path: string): RequestsConfig {
  return buildRequestsConfig(readJsonConfigFile(path, 'requests config'), path);
}

type Fail = (key: string, problem: string) => never;

/** Validates an already-parsed requests config. Unknown keys are refused so a typo does not disable a rule. */
export function buildRequestsConfig(config: unknown, source = 'requests config'): RequestsConfig {
  const fail: Fail = (key, problem) => {
    throw new Error(`Invalid requests config ${source}: "${key}" ${problem}`);
  };
  const root = object(config, '(root)', fail);
  known(root, '', ['keywords', 'retention', 'due_soon_days', 'task_reminder_days'], fail);

  const keywords: Partial<Record<KeywordRequestType, Record<string, string[]>>> = {};
  if (root.keywords !== undefined) {
    const section = object(root.keywords, 'keywords', fail);
    known(section, 'keywords.', KEYWORD_REQUEST_TYPES, fail);
    for (const type of KEYWORD_REQUEST_TYPES) {
      if (section[type] === undefined) continue;
      const byLanguage = object(section[type], `keywords.${type}`, fail);
      known(byLanguage, `keywords.${type}.`, KEYWORD_LANGUAGES, fail);
      const lists: Record<string, string[]> = {};
      for (const language of KEYWORD_LANGUAGES) {
        if (byLanguage[language] !== undefined)
          lists[language] = strings(byLanguage[language], `keywords.${type}.${language}`, fail);
      }
      keywords[type] = lists;
    }
  }

  let inactiveMonths = DEFAULTS.inactiveMonths;
  if (root.retention !== undefined) {
    const retention = object(root.retention, 'retention', fail);
    known(retention, 'retention.', ['inactive_months'], fail);
    inactiveMonths = whole(
      retention.inactive_months,
      'retention.inactive_months',
      1,
      1200,
      inactiveMonths,
      fail,
    );
  }
  return {
    keywords,
    inactiveMonths,
    dueSoonDays: whole(root.due_soon_days, 'due_soon_days', 1, 60, DEFAULTS.dueSoonDays, fail),
    taskReminderDays: whole(
      root.task_reminder_days,
      'task_reminder_days',
      1,
      60,
      DEFAULTS.taskReminderDays,
      fail,
    ),
  };
}

// Keys starting with '_' or '$' carry comments or a schema reference in a file people edit by hand.
function ignored(key: string): boolean {
  return key.startsWith('_') || key.startsWith('$');
}

function object(value: unknown, key: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail(key, 'must be an object');
  return value as Record<string, unknown>;
}

function known(
  object: Record<string, unknown>,
  prefix: string,
  allowed: readonly string[],
  fail: Fail,
): void {
  for (const key of Object.keys(object)) {
    if (!ignored(key) && !allowed.includes(key)) fail(`${prefix}${key}`, 'is not a known key');
  }
}

function strings(value: unknown, key: string, fail: Fail): string[] {
  if (!Array.isArray(value)) return fail(key, 'must be an array of strings');
  const items: unknown[] = value;
  return items.map((item, i) =>
    typeof item === 'string' && item.trim() !== ''
      ? item
      : fail(`${key}[${i}]`, 'must be a non-empty string'),
  );
}

function whole(value: unknown, key: string, min: number, max: number, fallback: number, fail: Fail): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    return fail(key, `must be a whole number from ${min} to ${max}`);
  return value;
}
