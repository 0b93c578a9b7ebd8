/**
 * The SOSL subset the gateway needs to find people by phone number (`conn.search(sosl)` in jsforce, which sends
 * `GET {base}/search?q=<SOSL>` and expects `{ searchRecords: [...] }`):
 *
 *   FIND {search-query} IN PHONE FIELDS
 *     RETURNING T1[(f1, f2 [LIMIT n])] [, T2[(...)] ...]
 *     [LIMIT n]
 *
 *   search-query: terms joined by OR, AND, AND NOT (adjacent terms mean AND), grouped with ( ); a term is a word or
 *   a "quoted phrase"; `*` and `?` are wildcards.
 *
 * Reserved characters (Salesforce's SOSL reference, "FIND {SearchQuery}"): ? & | ! { } [ ] ( ) ^ ~ * : \ " ' + -
 * must be escaped with a backslash to be searched for literally. `*` and `?` unescaped are wildcards, `(`, `)` and
 * `"` unescaped are grouping and phrase delimiters; any other reserved character unescaped is a MALFORMED_SEARCH
 * (so `{+4915112345678}` and `{650-253-0000}` are refused, `{\+4915112345678}` is accepted). Inside a quoted
 * phrase the simulator still requires the escapes, the stricter reading of a reference that does not say.
 *
 * Phone matching is stricter than Salesforce's: Salesforce tokenises stored phone values and matches fuzzily; here
 * every non-digit is stripped from the stored value and from the term, and a record matches only when the two
 * digit strings are EQUAL (wildcards stand for digits). So `{6502530000}` finds "(650) 253-0000" but not
 * "+1 650-253-0000" (digits 16502530000); a gateway must search each form it accepts (`{16502530000 OR
 * 6502530000}`) and verify every hit itself, which it must do against the real API anyway.
 *
 * Anything else (other search groups, WHERE / ORDER BY inside RETURNING, WITH, OFFSET, ...) is refused with
 * MALFORMED_SEARCH so that a gateway change that widens its SOSL shows up in tests. Error messages never repeat the
 * search terms: they are phone numbers, and error texts end up in logs.
 */
import { findField, findObject, type FieldDef, type ObjectDef } from './schema';
import { SalesforceApiError } from './soql';

/** Salesforce's documented cap on the rows one SOSL query returns. */
export const SOSL_MAX_ROWS = 2000;

const RESERVED = new Set('?&|!{}[]()^~*:\\"\'+-'.split(''));

export type SearchExpr =
  | { kind: 'term'; pattern: RegExp | null }
  | { kind: 'and' | 'or'; items: SearchExpr[] }
  | { kind: 'not'; item: SearchExpr };

export interface ReturningItem {
  object: ObjectDef;
  fields: FieldDef[];
  limit?: number;
}

export interface SoslQuery {
  search: SearchExpr;
  returning: ReturningItem[];
  limit: number;
}

/** One candidate record: the values the (possibly lagging) search index holds, and the record as stored now. */
export interface SearchCandidate {
  indexed: Record<string, unknown>;
  current: Record<string, unknown>;
}

function malformed(reason: string): SalesforceApiError {
  return new SalesforceApiError(400, 'MALFORMED_SEARCH', reason);
}

/** The digits of a stored phone value or a search term: every other character is dropped. */
export function phoneDigits(value: string): string {
  return value.replace(/\D/g, '');
}

// ------------------------------------------------------------------ the search query inside { }

type SearchToken =
  | { type: 'term'; text: string; pos: number }
  | { type: 'op'; text: 'AND' | 'OR' | 'NOT'; pos: number }
  | { type: 'paren'; text: '(' | ')'; pos: number };

/** Splits the text between the braces into terms, operators and parentheses, resolving escapes. */
function tokenizeSearch(query: string, offset: number): SearchToken[] {
  const tokens: SearchToken[] = [];
  let i = 0;
  const reservedAt = (at: number, ch: string) =>
    malformed(
      `Invalid search query at column ${offset + at + 1}: reserved character '${ch}' must be escaped with a backslash`,
    );
  // Reads one escaped or plain character; wildcards are kept as \uE000-prefixed markers so that an escaped `*`
  // stays a literal star.
  const readChar = (): string => {
    const ch = query.charAt(i);
    if (ch === '\\') {
      const next = query.charAt(i + 1);
      if (!RESERVED.has(next)) throw malformed(`Invalid escape sequence at column ${offset + i + 1}`);
      i += 2;
      return next;
    }
    if (ch === '*' || ch === '?') {
      i++;
      return `\uE000${ch}`;
    }
    if (RESERVED.has(ch)) throw reservedAt(i, ch);
    i++;
    return ch;
  };
  while (i < query.length) {
    const ch = query.charAt(i);
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === '(' || ch === ')') {
      tokens.push({ type: 'paren', text: ch, pos: start });
      i++;
      continue;
    }
    if (ch === '"') {
      i++;
      let text = '';
      while (i < query.length && query.charAt(i) !== '"') text += readChar();
      if (i >= query.length) throw malformed(`Unterminated phrase starting at column ${offset + start + 1}`);
      i++;
      tokens.push({ type: 'term', text, pos: start });
      continue;
    }
    let text = '';
    while (i < query.length && !/\s/.test(query.charAt(i)) && !'()"'.includes(query.charAt(i)))
      text += readChar();
    // Operators are recognised in upper case only, as the SOSL reference writes them; `or` is a search word.
    if (text === 'AND' || text === 'OR' || text === 'NOT') tokens.push({ type: 'op', text, pos: start });
    else tokens.push({ type: 'term', text, pos: start });
  }
  return tokens;
}

/** The digits-only pattern of a term: digits literal, wildcards over digits, everything else dropped. */
function termPattern(text: string, column: number): RegExp | null {
  const visible = text.replace(/\uE000[*?]/g, '');
  if (visible.replace(/\s/g, '').length < 2)
    throw malformed(`Invalid search term at column ${column}: search term must be longer than one character`);
  let source = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (ch === '\uE000') {
      source += text.charAt(++i) === '*' ? '\\d*' : '\\d';
    } else if (/\d/.test(ch)) {
      source += ch;
    }
  }
  return /\d/.test(source) ? new RegExp(`^${source}$`) : null;
}

function parseSearch(query: string, offset: number): SearchExpr {
  const tokens = tokenizeSearch(query, offset);
  if (tokens.length === 0)
    throw malformed('No search term found. The search term must be enclosed in braces.');
  let p = 0;
  const column = (t: SearchToken | undefined) => offset + (t ? t.pos : query.length) + 1;
  const unexpected = (t: SearchToken | undefined) =>
    malformed(
      `Invalid search query at column ${column(t)}: unexpected ${t ? `'${t.type === 'term' ? 'term' : t.text}'` : 'end'}`,
    );

  const unary = (): SearchExpr => {
    const t = tokens[p++];
    if (t?.type === 'term') return { kind: 'term', pattern: termPattern(t.text, column(t)) };
    if (t?.type === 'paren' && t.text === '(') {
      const inner = orExpr();
      const close = tokens[p++];
      if (close?.type !== 'paren' || close.text !== ')') throw unexpected(close);
      return inner;
    }
    throw unexpected(t);
  };
  const andExpr = (): SearchExpr => {
    const items = [unary()];
    for (;;) {
      const t = tokens[p];
      if (!t || (t.type === 'op' && t.text === 'OR') || (t.type === 'paren' && t.text === ')')) break;
      if (t.type === 'op' && t.text === 'AND') {
        p++;
        const not = tokens[p]?.type === 'op' && tokens[p].text === 'NOT';
        if (not) p++;
        const item = unary();
        items.push(not ? { kind: 'not', item } : item);
      } else if (t.type === 'op') {
        throw unexpected(t); // a bare NOT: SOSL only has AND NOT
      } else {
        items.push(unary()); // adjacent terms: SOSL treats them as AND
      }
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  };
  const orExpr = (): SearchExpr => {
    const items = [andExpr()];
    while (tokens[p]?.type === 'op' && tokens[p].text === 'OR') {
      p++;
      items.push(andExpr());
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  };
  const expr = orExpr();
  if (p < tokens.length) throw unexpected(tokens[p]);
  return expr;
}

// ------------------------------------------------------------------ the clauses after { }

export function parseSosl(sosl: string, version: number): SoslQuery {
  const head = /^\s*FIND\s*\{/i.exec(sosl);
  if (!head) throw malformed('No search term found. The search term must be enclosed in braces.');
  let close = head[0].length;
  while (close < sosl.length && sosl.charAt(close) !== '}') close += sosl.charAt(close) === '\\' ? 2 : 1;
  if (close >= sosl.length)
    throw malformed('No search term found. The search term must be enclosed in braces.');
  const search = parseSearch(sosl.slice(head[0].length, close), head[0].length);

  const rest = sosl.slice(close + 1);
  const words = [...rest.matchAll(/[A-Za-z_][A-Za-z0-9_]*|\d+|[(),]/g)].map((m) => ({
    text: m[0],
    pos: close + 1 + (m.index ?? 0),
  }));
  const stray = rest.replace(/[A-Za-z_][A-Za-z0-9_]*|\d+|[(),]|\s/g, '');
  if (stray) throw malformed(`unexpected token: '${stray.charAt(0)}'`);
  let p = 0;
  const peek = () => words[p];
  const is = (w: { text: string } | undefined, kw: string) => w?.text.toUpperCase() === kw;
  const unexpected = (w: { text: string; pos: number } | undefined) =>
    malformed(w ? `unexpected token: '${w.text}' at column ${w.pos + 1}` : 'unexpected end of query');
  const expect = (kw: string) => {
    const w = words[p++];
    if (!is(w, kw)) throw unexpected(w);
  };
  const number = () => {
    const w = words[p++];
    if (!w || !/^\d+$/.test(w.text)) throw unexpected(w);
    return Number(w.text);
  };

  // The simulator models the PHONE search group only; the default (ALL FIELDS) and the others are refused.
  expect('IN');
  expect('PHONE');
  expect('FIELDS');
  expect('RETURNING');
  const returning: ReturningItem[] = [];
  for (;;) {
    const typeWord = words[p++];
    const object = typeWord ? findObject(typeWord.text) : undefined;
    if (!typeWord || !/^[A-Za-z]/.test(typeWord.text)) throw unexpected(typeWord);
    if (!object || version < object.minVersion)
      throw new SalesforceApiError(
        400,
        'INVALID_TYPE',
        `sObject type '${typeWord.text}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    const item: ReturningItem = { object, fields: [findField(object, 'Id', version)!] };
    if (peek()?.text === '(') {
      p++;
      item.fields = [];
      for (;;) {
        const w = words[p++];
        if (!w || !/^[A-Za-z]/.test(w.text)) throw unexpected(w);
        const field = findField(object, w.text, version);
        if (!field)
          throw new SalesforceApiError(
            400,
            'INVALID_FIELD',
            `ERROR at Row:1:Column:${w.pos + 1}\nNo such column '${w.text}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
          );
        item.fields.push(field);
        if (peek()?.text !== ',') break;
        p++;
      }
      if (is(peek(), 'LIMIT')) {
        p++;
        item.limit = number();
      }
      const end = words[p++];
      if (end?.text !== ')') throw unexpected(end);
    }
    returning.push(item);
    if (peek()?.text !== ',') break;
    p++;
  }
  let limit = SOSL_MAX_ROWS;
  if (is(peek(), 'LIMIT')) {
    p++;
    limit = Math.min(number(), SOSL_MAX_ROWS);
  }
  if (p < words.length) throw unexpected(words[p]);
  return { search, returning, limit };
}

// ------------------------------------------------------------------ matching

function termMatches(pattern: RegExp | null, phones: string[]): boolean {
  if (!pattern) return false; // a term without digits can never equal a phone number's digits
  return phones.some((digits) => digits !== '' && pattern.test(digits));
}

function evaluate(expr: SearchExpr, phones: string[]): boolean {
  switch (expr.kind) {
    case 'term':
      return termMatches(expr.pattern, phones);
    case 'and':
      return expr.items.every((e) => evaluate(e, phones));
    case 'or':
      return expr.items.some((e) => evaluate(e, phones));
    case 'not':
      return !evaluate(expr.item, phones);
  }
}

/**
 * Runs a parsed query. `candidates(object)` gives each live record of a type as the search index holds it (which
 * may lag behind the database) and as stored now: matching uses the indexed values, the returned fields are read
 * from the stored record, as Salesforce reads result fields from the database. Results come in RETURNING order,
 * then by id (Salesforce orders by relevance, which a phone search cannot rely on either).
 */
export function runSosl(
  query: SoslQuery,
  candidates: (object: ObjectDef) => SearchCandidate[],
  apiPrefix: string,
): { searchRecords: Array<Record<string, unknown>> } {
  const out: Array<Record<string, unknown>> = [];
  for (const item of query.returning) {
    const phoneFields = item.object.fields.filter((f) => f.type === 'phone').map((f) => f.name);
    const hits = candidates(item.object)
      .filter(({ indexed }) => {
        const phones = phoneFields
          .map((f) => indexed[f])
          .filter((v): v is string => typeof v === 'string')
          .map(phoneDigits);
        return evaluate(query.search, phones);
      })
      .map(({ current }) => current)
      .sort((a, b) => (String(a.Id) < String(b.Id) ? -1 : 1));
    for (const record of hits.slice(0, item.limit ?? SOSL_MAX_ROWS)) {
      if (out.length >= query.limit) break;
      const row: Record<string, unknown> = {
        attributes: {
          type: item.object.name,
          url: `${apiPrefix}/sobjects/${item.object.name}/${String(record.Id)}`,
        },
      };
      for (const f of item.fields) row[f.name] = record[f.name] ?? null;
      out.push(row);
    }
  }
  return { searchRecords: out };
}
