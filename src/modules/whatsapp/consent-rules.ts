import { readJsonConfigFile } from '../../config/json-file';

/** Direction of a consent signal found in a WhatsApp item. */
export type ConsentDirection = 'opt_out' | 'opt_in';
/** What a Meta user_preferences value does; 'none' lets a tenant ignore e.g. 'resume'. */
export type UserPreferenceAction = ConsentDirection | 'none';

export interface KeywordMatch {
  kind: ConsentDirection;
  language: string;
  /** The configured keyword in normalised form (lower case, no accents), e.g. 'arret'. */
  keyword: string;
}

/** Validated config/consent.json with its lookup tables built once at load time. */
export interface ConsentRules {
  readonly purposes: readonly string[];
  /** Normalised whole-message keyword → match. */
  readonly keywords: ReadonlyMap<string, KeywordMatch>;
  /** Lower-cased business button payload / interactive reply id → direction. */
  readonly buttonPayloads: ReadonlyMap<string, ConsentDirection>;
  /** Normalised button label → direction (Meta's built-in "Stop promotions" button). */
  readonly buttonTexts: ReadonlyMap<string, ConsentDirection>;
  /** Lower-cased user_preferences value → action. */
  readonly userPreferences: ReadonlyMap<string, UserPreferenceAction>;
}

const DIRECTIONS: readonly ConsentDirection[] = ['opt_out', 'opt_in'];
const USER_PREFERENCE_ACTIONS: readonly UserPreferenceAction[] = ['opt_out', 'opt_in', 'none'];

// Phone keyboards send typographic apostrophes and dashes ("s’abonner", "opt‑out"); fold them first.
const APOSTROPHES = /[\u2018\u2019\u201B\u02BC\u0060\u00B4\uFF07]/g;
const DASHES = /[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/g;
// Zero-width joiners/spaces and BOMs hide inside copy-pasted or emoji-laden messages.
const FORMAT_CHARS = /\p{Cf}/gu;
const COMBINING_MARKS = /\p{M}/gu;
// Everything that is not a letter or digit at either end: punctuation, emoji, symbols, spaces.
const EDGE_NOISE = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
const WHITESPACE_RUN = /\s+/gu;

/**
 * Folds a message to the form keywords are compared in: NFKC, lower case, no diacritics, no leading or
 * trailing punctuation/emoji, single inner spaces. Inner words are kept, so "stop please" stays two words.
 */
export function normaliseText(input: string): string {
  return input
    .replace(APOSTROPHES, "'")
    .replace(DASHES, '-')
    .normalize('NFKC')
    .replace(FORMAT_CHARS, '')
    .toLowerCase()
    .normalize('NFD')
    .replace(COMBINING_MARKS, '')
    .normalize('NFC')
    .replace(EDGE_NOISE, '')
    .replace(WHITESPACE_RUN, ' ');
}

/** Whole-message keyword match; null unless the entire message (minus noise) is a configured keyword. */
export function matchKeyword(text: string, rules: ConsentRules): KeywordMatch | null {
  if (typeof text !== 'string') return null;
  return rules.keywords.get(normaliseText(text)) ?? null;
}

/**
 * Matches a business-defined payload or reply id: equal to a configured value (case-insensitive), or a
 * configured value followed by ':' and a correlation id ("consent_stop:7f3c").
 */
export function matchButtonPayload(payload: string, rules: ConsentRules): ConsentDirection | null {
  if (typeof payload !== 'string') return null;
  const value = payload.trim().toLowerCase();
  if (value === '') return null;
  const exact = rules.buttonPayloads.get(value);
  if (exact) return exact;
  for (let i = value.indexOf(':'); i > 0; i = value.indexOf(':', i + 1)) {
    const prefixed = rules.buttonPayloads.get(value.slice(0, i));
    if (prefixed) return prefixed;
  }
  return null;
}

/** Matches a button label such as Meta's built-in "Stop promotions", whose payload we do not control. */
export function matchButtonText(text: string, rules: ConsentRules): ConsentDirection | null {
  if (typeof text !== 'string') return null;
  return rules.buttonTexts.get(normaliseText(text)) ?? null;
}

/** Action for a user_preferences value; null when the value is not configured (open enum). */
export function userPreferenceAction(value: string, rules: ConsentRules): UserPreferenceAction | null {
  if (typeof value !== 'string') return null;
  return rules.userPreferences.get(value.trim().toLowerCase()) ?? null;
}

/** Reads and validates a consent config file; throws an Error naming the offending key. */
export function loadConsentRules(path: string): ConsentRules {
  return buildConsentRules(readJsonConfigFile(path, 'consent config'), path);
}

/** Validates an already-parsed consent config and builds its lookup tables. */
export function buildConsentRules(config: unknown, source = 'consent config'): ConsentRules {
  const fail = (key: string, problem: string): never => {
    throw new Error(`Invalid consent config ${source}: "${key}" ${problem}`);
  };
  const root = requireObject(config, '(root)', fail);
  checkKeys(root, '', ['keywords', 'buttons', 'user_preferences', 'purposes'], fail);

  const keywords = new Map<string, KeywordMatch>();
  const keywordSection = requireObject(root.keywords, 'keywords', fail);
  checkKeys(keywordSection, 'keywords.', DIRECTIONS, fail);
  for (const kind of DIRECTIONS) {
    const byLanguage = requireObject(keywordSection[kind], `keywords.${kind}`, fail);
    for (const [language, list] of Object.entries(byLanguage)) {
      if (isIgnoredKey(language)) continue;
      requireStrings(list, `keywords.${kind}.${language}`, fail).forEach((word, i) => {
        const key = `keywords.${kind}.${language}[${i}]`;
        const normalised = normaliseText(word);
        if (normalised === '') fail(key, 'is empty once punctuation and emoji are removed');
        const existing = keywords.get(normalised);
        if (existing && existing.kind !== kind) {
          fail(key, `("${normalised}") is also an ${existing.kind} keyword (${existing.language})`);
        }
        // The same word in two languages of one direction (fr/en "stop") is fine; the first language wins.
        if (!existing) keywords.set(normalised, { kind, language, keyword: normalised });
      });
    }
  }

  const buttons = requireObject(root.buttons, 'buttons', fail);
  checkKeys(buttons, 'buttons.', ['opt_out', 'opt_in', 'opt_out_texts', 'opt_in_texts'], fail);
  const buttonPayloads = new Map<string, ConsentDirection>();
  const buttonTexts = new Map<string, ConsentDirection>();
  for (const kind of DIRECTIONS) {
    requireStrings(buttons[kind], `buttons.${kind}`, fail).forEach((payload, i) => {
      const value = payload.trim().toLowerCase();
      const existing = buttonPayloads.get(value);
      if (existing && existing !== kind)
        fail(`buttons.${kind}[${i}]`, `("${value}") is also an ${existing} payload`);
      buttonPayloads.set(value, kind);
    });
    const textsKey = `${kind}_texts`;
    if (buttons[textsKey] === undefined) continue;
    requireStrings(buttons[textsKey], `buttons.${textsKey}`, fail).forEach((label, i) => {
      const key = `buttons.${textsKey}[${i}]`;
      const value = normaliseText(label);
      if (value === '') fail(key, 'is empty once punctuation and emoji are removed');
      const existing = buttonTexts.get(value);
      if (existing && existing !== kind) fail(key, `("${value}") is also an ${existing} button text`);
      buttonTexts.set(value, kind);
    });
  }

  const userPreferences = new Map<string, UserPreferenceAction>();
  const preferences = requireObject(root.user_preferences, 'user_preferences', fail);
  for (const [value, action] of Object.entries(preferences)) {
    if (isIgnoredKey(value)) continue;
    if (!USER_PREFERENCE_ACTIONS.some((allowed) => allowed === action)) {
      fail(`user_preferences.${value}`, `must be one of ${USER_PREFERENCE_ACTIONS.join(', ')}`);
    }
    userPreferences.set(value.trim().toLowerCase(), action as UserPreferenceAction);
  }

  const purposes = requireStrings(root.purposes, 'purposes', fail);
  if (purposes.length === 0) fail('purposes', 'must list at least one purpose');

  return { purposes, keywords, buttonPayloads, buttonTexts, userPreferences };
}

type Fail = (key: string, problem: string) => never;

// Keys starting with '_' or '$' carry comments or a schema reference in a file people edit by hand.
function isIgnoredKey(key: string): boolean {
  return key.startsWith('_') || key.startsWith('$');
}

function requireObject(value: unknown, key: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail(key, 'must be an object');
  return value as Record<string, unknown>;
}

function requireStrings(value: unknown, key: string, fail: Fail): string[] {
  if (!Array.isArray(value)) return fail(key, 'must be an array of strings');
  const items: unknown[] = value;
  return items.map((item, i) =>
    typeof item === 'string' && item.trim() !== ''
      ? item
      : fail(`${key}[${i}]`, 'must be a non-empty string'),
  );
}

// Unknown keys are rejected so a typo ("user_preference") does not silently disable a rule.
function checkKeys(
  object: Record<string, unknown>,
  prefix: string,
  allowed: readonly string[],
  fail: Fail,
): void {
  for (const key of Object.keys(object)) {
    if (!isIgnoredKey(key) && !allowed.includes(key)) fail(`${prefix}${key}`, 'is not a known key');
  }
}
