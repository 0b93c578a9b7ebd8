import type { KeywordRequestType, RequestsConfig } from '../../config/requests-config';
import { normaliseText } from './consent-rules';

/** A WhatsApp message that is, as a whole, a data-subject request keyword of config/requests.json. */
export interface RequestKeywordMatch {
  type: KeywordRequestType;
  language: string;
  /** The configured keyword in normalised form (lower case, no accents), e.g. 'supprimer mes donnees'. */
  keyword: string;
}

/** Normalised whole-message keyword → the request it starts. */
export type RequestKeywords = ReadonlyMap<string, RequestKeywordMatch>;

/**
 * Folds the configured request keywords the way STOP keywords are folded (consent-rules `normaliseText`),
 * so "Supprimer mes données !" and "SUPPRIMER MES DONNEES" are one keyword. Throws an Error naming the key
 * when a keyword folds to nothing or names two request types (a message must mean one request).
 */
export function buildRequestKeywords(config: RequestsConfig, source = 'requests config'): RequestKeywords {
  const keywords = new Map<string, RequestKeywordMatch>();
  for (const [type, byLanguage] of Object.entries(config.keywords) as [
    KeywordRequestType,
    Record<string, readonly string[]>,
  ][]) {
    for (const [language, list] of Object.entries(byLanguage)) {
      list.forEach((word, i) => {
        const key = `keywords.${type}.${language}[${i}]`;
        const normalised = normaliseText(word);
        if (normalised === '')
          throw new Error(`Invalid requests config ${source}: "${key}" is empty once punctuation is removed`);
        const existing = keywords.get(normalised);
        if (existing && existing.type !== type) {
          throw new Error(
            `Invalid requests config ${source}: "${key}" ("${normalised}") is also a ${existing.type} keyword (${existing.language})`,
          );
        }
        // The same words in two languages of one type are fine; the first language wins.
        if (!existing) keywords.set(normalised, { type, language, keyword: normalised });
      });
    }
  }
  return keywords;
}

/** Whole-message match; null unless the entire message (minus noise) is a configured request keyword. */
export function matchRequestKeyword(text: string, keywords: RequestKeywords): RequestKeywordMatch | null {
  if (typeof text !== 'string') return null;
  return keywords.get(normaliseText(text)) ?? null;
}
