/**
 * The SOQL subset the gateway emits, and nothing more:
 *
 *   SELECT f1, f2 FROM T
 *     [WHERE expr]                       expr: term [AND term ...] | term [OR term ...]
 *                                        term: cond | ( expr )
 *                                        cond: f = 'v' | f != 'v' | f IN ('a','b') | f > <datetime> | f = true | f = null
 *     [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST] [, ...]]
 *     [LIMIT n]
 *
 * AND and OR: Salesforce's SOQL reference ("Logical Operators", "Condition Expression Syntax") says parentheses are
 * required whenever the operators are mixed, and defines no precedence between them. The simulator takes that
 * stricter reading: `a AND b OR c` is refused (MALFORMED_QUERY at the second operator); `(a AND b) OR c` and
 * `a AND (b OR c)` are accepted. If the real API turns out to accept the unparenthesised form, it would still have
 * to be written with parentheses to mean anything definite, so the gateway loses nothing by being held to it.
 *
 * Anything else (NOT as a logical operator, sub-queries, relationship paths, functions, OFFSET, ...) is refused with
 * MALFORMED_QUERY, in Salesforce's error shape, so that a gateway change that widens its SOQL shows up in tests.
 */
import { toId18 } from './ids';
import { findField, findObject, parseSfDateTime, type FieldDef, type ObjectDef } from './schema';

export class SalesforceApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }

  body(): Array<Record<string, unknown>> {
    return [
      { message: this.message, errorCode: this.errorCode, ...(this.fields ? { fields: this.fields } : {}) },
    ];
  }
}

type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'datetime'; value: number }
  | { kind: 'date'; value: string };

type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'IN' | 'NOT IN';

interface Condition {
  field: FieldDef;
  op: Operator;
  values: Literal[];
}

/** A WHERE clause: one condition, or conditions joined by one logical operator (mixing needs parentheses). */
export type WhereExpr = { kind: 'cond'; cond: Condition } | { kind: 'and' | 'or'; items: WhereExpr[] };

interface OrderItem {
  field: FieldDef;
  desc: boolean;
  nullsFirst: boolean;
}

export interface SoqlQuery {
  object: ObjectDef;
  fields: FieldDef[];
  where: WhereExpr | null;
  orderBy: OrderItem[];
  limit?: number;
}

interface Token {
  type: 'word' | 'string' | 'number' | 'datetime' | 'date' | 'op' | 'punct' | 'eof';
  text: string;
  value?: string;
  pos: number;
}

function tokenize(soql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < soql.length) {
    const ch = soql.charAt(i);
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const start = i;
    if (ch === "'") {
      let value = '';
      i++;
      let closed = false;
      while (i < soql.length) {
        const c = soql.charAt(i);
        if (c === '\\') {
          const next = soql.charAt(i + 1);
          const escapes: Record<string, string> = {
            n: '\n',
            r: '\r',
            t: '\t',
            b: '\b',
            f: '\f',
            "'": "'",
            '"': '"',
            '\\': '\\',
          };
          if (!(next in escapes))
            throw malformed(
              soql,
              i,
              `Invalid string literal '${soql.slice(start, i + 2)}'. Illegal character sequence '\\${next}' in string literal.`,
            );
          value += escapes[next];
          i += 2;
          continue;
        }
        if (c === "'") {
          closed = true;
          i++;
          break;
        }
        value += c;
        i++;
      }
      if (!closed) throw malformed(soql, start, `line 1:${start} mismatched character '<EOF>' expecting '''`);
      tokens.push({ type: 'string', text: soql.slice(start, i), value, pos: start });
      continue;
    }
    const dt = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/.exec(soql.slice(i));
    if (dt) {
      tokens.push({ type: 'datetime', text: dt[0], pos: start });
      i += dt[0].length;
      continue;
    }
    const date = /^\d{4}-\d{2}-\d{2}(?![\dT])/.exec(soql.slice(i));
    if (date) {
      tokens.push({ type: 'date', text: date[0], pos: start });
      i += date[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(soql.slice(i));
    if (num) {
      tokens.push({ type: 'number', text: num[0], pos: start });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(soql.slice(i));
    if (word) {
      tokens.push({ type: 'word', text: word[0], pos: start });
      i += word[0].length;
      continue;
    }
    const op = /^(!=|<>|<=|>=|=|<|>)/.exec(soql.slice(i));
    if (op) {
      tokens.push({ type: 'op', text: op[0], pos: start });
      i += op[0].length;
      continue;
    }
    if (ch === ',' || ch === '(' || ch === ')') {
      tokens.push({ type: 'punct', text: ch, pos: start });
      i++;
      continue;
    }
    throw malformed(soql, i, `unexpected token: '${ch}'`);
  }
  tokens.push({ type: 'eof', text: '<EOF>', pos: soql.length });
  return tokens;
}

/** Salesforce's caret-style message: the query, a caret under the offending column, then the reason. */
function located(soql: string, pos: number, reason: string): string {
  return `\n${soql}\n${' '.repeat(pos)}^\nERROR at Row:1:Column:${pos + 1}\n${reason}`;
}

function malformed(soql: string, pos: number, reason: string): SalesforceApiError {
  return new SalesforceApiError(400, 'MALFORMED_QUERY', located(soql, pos, reason));
}

const KEYWORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AND',
  'OR',
  'NOT',
  'IN',
  'ORDER',
  'BY',
  'LIMIT',
  'OFFSET',
  'ASC',
  'DESC',
  'NULLS',
  'FIRST',
  'LAST',
  'GROUP',
  'HAVING',
  'LIKE',
]);

export function parseSoql(soql: string, version: number): SoqlQuery {
  const tokens = tokenize(soql);
  let p = 0;
  const peek = () => tokens[p];
  const next = () => tokens[p++];
  const isKeyword = (t: Token, kw: string) => t.type === 'word' && t.text.toUpperCase() === kw;
  const unexpected = (t: Token) =>
    malformed(soql, t.pos, `unexpected token: ${t.type === 'eof' ? '<EOF>' : `'${t.text}'`}`);
  const expectKeyword = (kw: string) => {
    const t = next();
    if (!isKeyword(t, kw)) throw unexpected(t);
  };

  expectKeyword('SELECT');
  const selected: Token[] = [];
  for (;;) {
    const t = next();
    if (t.type !== 'word' || KEYWORDS.has(t.text.toUpperCase())) throw unexpected(t);
    if (peek().text === '(') throw malformed(soql, t.pos, `unexpected token: '${t.text}('`);
    selected.push(t);
    if (peek().text !== ',') break;
    next();
  }
  expectKeyword('FROM');
  const typeToken = next();
  if (typeToken.type !== 'word') throw unexpected(typeToken);
  const object = findObject(typeToken.text);
  if (!object || version < object.minVersion) {
    throw new SalesforceApiError(
      400,
      'INVALID_TYPE',
      located(
        soql,
        typeToken.pos,
        `sObject type '${typeToken.text}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
      ),
    );
  }
  const resolveField = (t: Token): FieldDef => {
    const field = t.text.includes('.') ? undefined : findField(object, t.text, version);
    if (!field) {
      throw new SalesforceApiError(
        400,
        'INVALID_FIELD',
        located(
          soql,
          t.pos,
          `No such column '${t.text}' on entity '${object.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
        ),
      );
    }
    return field;
  };
  const fields = selected.map(resolveField);
  const seen = new Set<string>();
  for (const [i, f] of fields.entries()) {
    if (seen.has(f.name)) throw malformed(soql, selected[i].pos, `duplicate field selected: ${f.name}`);
    seen.add(f.name);
  }

  const condition = (): Condition => {
    const fieldToken = next();
    if (fieldToken.type !== 'word' || KEYWORDS.has(fieldToken.text.toUpperCase()))
      throw unexpected(fieldToken);
    const field = resolveField(fieldToken);
    const opToken = next();
    let op: Operator;
    let values: Literal[];
    if (opToken.type === 'op') {
      op = opToken.text === '<>' ? '!=' : (opToken.text as Operator);
      values = [literal(soql, next(), field)];
    } else if (isKeyword(opToken, 'IN') || (isKeyword(opToken, 'NOT') && isKeyword(peek(), 'IN'))) {
      if (isKeyword(opToken, 'NOT')) next();
      op = isKeyword(opToken, 'NOT') ? 'NOT IN' : 'IN';
      const open = next();
      if (open.text !== '(') throw unexpected(open);
      values = [];
      for (;;) {
        values.push(literal(soql, next(), field));
        const sep = next();
        if (sep.text === ')') break;
        if (sep.text !== ',') throw unexpected(sep);
      }
    } else {
      throw unexpected(opToken);
    }
    if ((op === '<' || op === '<=' || op === '>' || op === '>=') && values[0].kind === 'null') {
      throw malformed(soql, opToken.pos, `invalid operator on null: ${op}`);
    }
    return { field, op, values };
  };
  const term = (): WhereExpr => {
    if (peek().text !== '(') return { kind: 'cond', cond: condition() };
    next();
    const inner = expression();
    const close = next();
    if (close.text !== ')') throw unexpected(close);
    return inner;
  };
  // One logical operator per level: the first one after a term fixes it, a different one is refused.
  const expression = (): WhereExpr => {
    const first = term();
    const joiner = isKeyword(peek(), 'AND') ? 'AND' : isKeyword(peek(), 'OR') ? 'OR' : null;
    if (!joiner) return first;
    const items = [first];
    while (isKeyword(peek(), 'AND') || isKeyword(peek(), 'OR')) {
      const op = next();
      if (op.text.toUpperCase() !== joiner) throw unexpected(op);
      items.push(term());
    }
    return { kind: joiner === 'AND' ? 'and' : 'or', items };
  };

  let where: WhereExpr | null = null;
  if (isKeyword(peek(), 'WHERE')) {
    next();
    where = expression();
  }

  const orderBy: OrderItem[] = [];
  if (isKeyword(peek(), 'ORDER')) {
    next();
    expectKeyword('BY');
    for (;;) {
      const fieldToken = next();
      if (fieldToken.type !== 'word' || KEYWORDS.has(fieldToken.text.toUpperCase()))
        throw unexpected(fieldToken);
      const field = resolveField(fieldToken);
      let desc = false;
      if (isKeyword(peek(), 'ASC')) next();
      else if (isKeyword(peek(), 'DESC')) {
        next();
        desc = true;
      }
      let nullsFirst = !desc;
      if (isKeyword(peek(), 'NULLS')) {
        next();
        const which = next();
        if (isKeyword(which, 'FIRST')) nullsFirst = true;
        else if (isKeyword(which, 'LAST')) nullsFirst = false;
        else throw unexpected(which);
      }
      orderBy.push({ field, desc, nullsFirst });
      if (peek().text !== ',') break;
      next();
    }
  }

  let limit: number | undefined;
  if (isKeyword(peek(), 'LIMIT')) {
    next();
    const n = next();
    if (n.type !== 'number' || !/^\d+$/.test(n.text)) throw unexpected(n);
    limit = Number(n.text);
  }
  const end = next();
  if (end.type !== 'eof') throw unexpected(end);
  return { object, fields, where, orderBy, limit };
}

function literal(soql: string, t: Token, field: FieldDef): Literal {
  const typeError = (expected: string, quoted: boolean) =>
    new SalesforceApiError(
      400,
      'INVALID_FIELD',
      located(
        soql,
        t.pos,
        `value of filter criterion for field '${field.name}' must be of type ${expected} and should ${quoted ? '' : 'not '}be enclosed in quotes`,
      ),
    );
  if (t.type === 'word' && t.text.toUpperCase() === 'NULL') return { kind: 'null' };
  switch (field.type) {
    case 'datetime':
      if (t.type === 'datetime') return { kind: 'datetime', value: parseSfDateTime(t.text) };
      throw typeError('dateTime', false);
    case 'date':
      if (t.type === 'date') return { kind: 'date', value: t.text };
      throw typeError('date', false);
    case 'boolean':
      if (t.type === 'word' && /^(true|false)$/i.test(t.text))
        return { kind: 'boolean', value: t.text.toLowerCase() === 'true' };
      throw typeError('boolean', false);
    case 'id':
    case 'reference': {
      if (t.type !== 'string') throw typeError('string', true);
      const id = toId18(t.value ?? '');
      if (!id)
        throw new SalesforceApiError(
          400,
          'INVALID_QUERY_FILTER_OPERATOR',
          located(soql, t.pos, `invalid ID field: ${t.value ?? ''}`),
        );
      return { kind: 'string', value: id };
    }
    case 'string':
    case 'email':
    case 'phone':
    case 'picklist':
      if (t.type === 'string') return { kind: 'string', value: t.value ?? '' };
      if (t.type === 'eof' || t.type === 'punct' || t.type === 'op')
        throw malformed(soql, t.pos, `unexpected token: '${t.text}'`);
      throw typeError('string', true);
  }
}

/** A stored scalar as text (records only hold strings, numbers, booleans and null). */
export function text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v) ?? '';
}

function compare(a: unknown, b: Literal, type: FieldDef['type']): number | undefined {
  if (b.kind === 'null' || a === null || a === undefined) return undefined;
  switch (b.kind) {
    case 'datetime':
      return parseSfDateTime(text(a)) - b.value;
    case 'boolean':
      return Number(a) - Number(b.value);
    case 'number':
      return Number(a) - b.value;
    case 'date':
    case 'string': {
      // SOQL text comparisons are case-insensitive; ids are compared in their 18-character form. Phone fields
      // compare the stored string exactly as typed (the reference: "SOQL =/IN compare the stored string"), so
      // '+16505551234' does not find '(650) 555-1234'; exact case too (' x12' vs ' X12'), the stricter reading.
      const exact = type === 'id' || type === 'reference' || type === 'phone';
      const left = exact ? text(a) : text(a).toLowerCase();
      const right = exact ? b.value : b.value.toLowerCase();
      return left < right ? -1 : left > right ? 1 : 0;
    }
  }
}

function matches(record: Record<string, unknown>, cond: Condition): boolean {
  const value = record[cond.field.name];
  const isNull = value === null || value === undefined;
  const equalsOne = (lit: Literal) =>
    lit.kind === 'null' ? isNull : compare(value, lit, cond.field.type) === 0;
  switch (cond.op) {
    case '=':
      return equalsOne(cond.values[0]);
    case '!=':
      return !equalsOne(cond.values[0]);
    case 'IN':
      return cond.values.some(equalsOne);
    case 'NOT IN':
      return !cond.values.some(equalsOne);
    case '<':
    case '<=':
    case '>':
    case '>=': {
      const c = compare(value, cond.values[0], cond.field.type);
      if (c === undefined) return false;
      return cond.op === '<' ? c < 0 : cond.op === '<=' ? c <= 0 : cond.op === '>' ? c > 0 : c >= 0;
    }
  }
}

function satisfies(record: Record<string, unknown>, expr: WhereExpr): boolean {
  switch (expr.kind) {
    case 'cond':
      return matches(record, expr.cond);
    case 'and':
      return expr.items.every((e) => satisfies(record, e));
    case 'or':
      return expr.items.some((e) => satisfies(record, e));
  }
}

function sortValue(v: unknown, type: FieldDef['type']): number | string {
  if (type === 'datetime') return parseSfDateTime(String(v));
  if (type === 'boolean') return Number(v);
  if (type === 'id' || type === 'reference') return String(v);
  return String(v).toLowerCase();
}

/** Filters, sorts and limits `records` (all of one type, not deleted); returns them projected to the selected fields. */
export function runSoql(
  query: SoqlQuery,
  records: Array<Record<string, unknown>>,
  apiPrefix: string,
): Array<Record<string, unknown>> {
  const where = query.where;
  let rows = where ? records.filter((r) => satisfies(r, where)) : records;
  rows = [...rows].sort((a, b) => {
    for (const item of query.orderBy) {
      const av = a[item.field.name];
      const bv = b[item.field.name];
      const an = av === null || av === undefined;
      const bn = bv === null || bv === undefined;
      if (an || bn) {
        if (an && bn) continue;
        return an === item.nullsFirst ? -1 : 1;
      }
      const x = sortValue(av, item.field.type);
      const y = sortValue(bv, item.field.type);
      if (x === y) continue;
      return (x < y ? -1 : 1) * (item.desc ? -1 : 1);
    }
    return String(a.Id) < String(b.Id) ? -1 : String(a.Id) > String(b.Id) ? 1 : 0;
  });
  if (query.limit !== undefined) rows = rows.slice(0, query.limit);
  return rows.map((r) => {
    const out: Record<string, unknown> = {
      attributes: {
        type: query.object.name,
        url: `${apiPrefix}/sobjects/${query.object.name}/${String(r.Id)}`,
      },
    };
    for (const f of query.fields) out[f.name] = r[f.name] ?? null;
    return out;
  });
}
