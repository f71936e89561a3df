/**
 * A small, strict subset of OData query options: $select, $filter (eq ne gt ge lt le, and or not, parentheses;
 * string, number, boolean, null and GUID literals), $expand of declared lookups (with a nested $select), $orderby,
 * $top and $count. Anything else is refused with the 400 Dataverse gives, never silently ignored.
 */
import { ODataFailure } from './errors';

export type Row = Record<string, unknown>;

export interface TableSchema {
  entitySet: string;
  /** Logical name of the entity type (error messages: Microsoft.Dynamics.CRM.<entity>). */
  entity: string;
  key: string;
  columns: string[];
  /** Navigation properties that $expand accepts, each with the columns of the related row. */
  expand?: Record<string, { columns: string[]; key: string }>;
}

type Literal = string | number | boolean | null;
type Filter =
  | { kind: 'cmp'; field: string; op: 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; value: Literal }
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; inner: Filter };

export interface ParsedQuery {
  select?: string[];
  filter?: Filter;
  expand: { name: string; select?: string[] }[];
  orderby: { field: string; desc: boolean }[];
  top?: number;
  count: boolean;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SUPPORTED = ['$select', '$filter', '$expand', '$orderby', '$top', '$count'];

function bad(message: string): ODataFailure {
  return new ODataFailure(400, '0x80060888', message);
}

function noProperty(schema: { entity: string }, name: string): ODataFailure {
  return bad(`Could not find a property named '${name}' on type 'Microsoft.Dynamics.CRM.${schema.entity}'.`);
}

function parseSelect(text: string, columns: string[], entity: string): string[] {
  const fields = text.split(',').map((f) => f.trim()).filter((f) => f.length > 0);
  if (fields.length === 0) throw bad("The query option '$select' is empty.");
  for (const f of fields) if (!columns.includes(f)) throw noProperty({ entity }, f);
  return fields;
}

class FilterParser {
  private pos = 0;
  private readonly tokens: string[];

  constructor(text: string, private readonly schema: TableSchema) {
    this.tokens = FilterParser.tokenize(text);
  }

  static tokenize(text: string): string[] {
    const tokens: string[] = [];
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === ' ') { i++; continue; }
      if (c === '(' || c === ')' || c === ',') { tokens.push(c); i++; continue; }
      if (c === "'") {
        let j = i + 1;
        let value = '';
        for (;;) {
          if (j >= text.length) throw bad(`Syntax error: the string literal starting at position ${i} in '$filter' is not closed.`);
          if (text[j] === "'") {
            if (text[j + 1] === "'") { value += "'"; j += 2; continue; }
            break;
          }
          value += text[j++];
        }
        tokens.push(`'${value}`);
        i = j + 1;
        continue;
      }
      let j = i;
      while (j < text.length && !" (),'".includes(text[j])) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
    return tokens;
  }

  parse(): Filter {
    const expr = this.or();
    if (this.pos < this.tokens.length) throw bad(`Syntax error at position ${this.pos} in '$filter': unexpected '${this.tokens[this.pos]}'.`);
    return expr;
  }

  private peek(): string | undefined {
    return this.tokens[this.pos];
  }

  private or(): Filter {
    let left = this.and();
    while (this.peek() === 'or') { this.pos++; left = { kind: 'or', left, right: this.and() }; }
    return left;
  }

  private and(): Filter {
    let left = this.unary();
    while (this.peek() === 'and') { this.pos++; left = { kind: 'and', left, right: this.unary() }; }
    return left;
  }

  private unary(): Filter {
    const t = this.peek();
    if (t === 'not') { this.pos++; return { kind: 'not', inner: this.unary() }; }
    if (t === '(') {
      this.pos++;
      const inner = this.or();
      if (this.peek() !== ')') throw bad("Syntax error in '$filter': ')' expected.");
      this.pos++;
      return inner;
    }
    return this.comparison();
  }

  private comparison(): Filter {
    const field = this.tokens[this.pos++];
    if (field === undefined) throw bad("Syntax error in '$filter': the expression ends too early.");
    if (this.peek() === '(') {
      throw bad(`The function '${field}' in '$filter' is not supported by the emulator; use eq, ne, gt, ge, lt, le with and, or, not.`);
    }
    if (!this.schema.columns.includes(field)) throw noProperty(this.schema, field);
    const op = this.tokens[this.pos++];
    if (!['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op ?? '')) {
      throw bad(`Syntax error in '$filter': '${op ?? '(end)'}' after '${field}' is not a supported operator (eq, ne, gt, ge, lt, le).`);
    }
    const raw = this.tokens[this.pos++];
    if (raw === undefined) throw bad(`Syntax error in '$filter': a value is expected after '${field} ${op}'.`);
    return { kind: 'cmp', field, op: op as 'eq', value: literal(raw) };
  }
}

function literal(raw: string): Literal {
  if (raw.startsWith("'")) return raw.slice(1);
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (raw === 'null') return null;
  if (GUID.test(raw)) return raw.toLowerCase();
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  throw bad(`Syntax error in '$filter': '${raw}' is not a valid literal (strings go in single quotes).`);
}

export function parseQuery(query: URLSearchParams, schema: TableSchema): ParsedQuery {
  for (const key of new Set(query.keys())) {
    if (!SUPPORTED.includes(key)) {
      throw bad(key.startsWith('$')
        ? `The query parameter ${key} is not supported`
        : `The query parameter '${key}' is not supported by this resource; only ${SUPPORTED.join(', ')} are.`);
    }
    if (query.getAll(key).length > 1) throw bad(`Query option '${key}' was specified more than once, but it must be specified at most once.`);
  }
  const parsed: ParsedQuery = { expand: [], orderby: [], count: false };
  const select = query.get('$select');
  if (select !== null) parsed.select = parseSelect(select, schema.columns, schema.entity);
  const filter = query.get('$filter');
  if (filter !== null) parsed.filter = new FilterParser(filter, schema).parse();
  const expand = query.get('$expand');
  if (expand !== null) {
    for (const part of splitTopLevel(expand)) {
      const m = /^(\w+)(?:\((.*)\))?$/.exec(part.trim());
      const nav = m && schema.expand?.[m[1]];
      if (!m || !nav) throw noProperty(schema, part.trim());
      let nestedSelect: string[] | undefined;
      if (m[2] !== undefined) {
        const sm = /^\$select=(.+)$/.exec(m[2].trim());
        if (!sm) throw bad(`Only $select is supported inside $expand(...); got '${m[2]}'.`);
        nestedSelect = parseSelect(sm[1], nav.columns, m[1]);
      }
      parsed.expand.push({ name: m[1], select: nestedSelect });
    }
  }
  const orderby = query.get('$orderby');
  if (orderby !== null) {
    for (const part of orderby.split(',')) {
      const [field, dir, extra] = part.trim().split(/\s+/);
      if (extra !== undefined || (dir !== undefined && dir !== 'asc' && dir !== 'desc')) throw bad(`Syntax error in '$orderby': '${part.trim()}'.`);
      if (!schema.columns.includes(field)) throw noProperty(schema, field);
      parsed.orderby.push({ field, desc: dir === 'desc' });
    }
  }
  const top = query.get('$top');
  if (top !== null) {
    if (!/^\d+$/.test(top)) throw bad(`Invalid value '${top}' for $top query option found. The $top query option requires a non-negative integer value.`);
    parsed.top = Number(top);
  }
  const count = query.get('$count');
  if (count !== null) {
    if (count !== 'true' && count !== 'false') throw bad(`'${count}' is not a valid count option.`);
    parsed.count = count === 'true';
  }
  return parsed;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) { parts.push(text.slice(start, i)); start = i + 1; }
  }
  parts.push(text.slice(start));
  return parts;
}

function compare(a: unknown, b: Literal): number | undefined {
  if (a === null || a === undefined || b === null) return undefined;
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase().localeCompare(b.toLowerCase());
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return undefined;
}

function matches(row: Row, filter: Filter, schema: TableSchema): boolean {
  switch (filter.kind) {
    case 'and': return matches(row, filter.left, schema) && matches(row, filter.right, schema);
    case 'or': return matches(row, filter.left, schema) || matches(row, filter.right, schema);
    case 'not': return !matches(row, filter.inner, schema);
    case 'cmp': {
      const value = row[filter.field];
      if (filter.value === null || value === null || value === undefined) {
        const bothNull = (value === null || value === undefined) && filter.value === null;
        if (filter.op === 'eq') return bothNull;
        if (filter.op === 'ne') return !bothNull;
        return false;
      }
      const c = compare(value, filter.value);
      if (c === undefined) {
        throw bad(`A binary operator with incompatible types was detected. Found operand types '${typeof value}' and '${typeof filter.value}' for operator kind '${filter.op}' on '${filter.field}'.`);
      }
      return { eq: c === 0, ne: c !== 0, gt: c > 0, ge: c >= 0, lt: c < 0, le: c <= 0 }[filter.op];
    }
  }
}

export interface QueryResult {
  rows: Row[];
  count?: number;
  contextSuffix: string;
}

/** Applies a parsed query to full rows. `related(nav, row)` returns the full related row for $expand. */
export function runQuery(rows: Row[], q: ParsedQuery, schema: TableSchema, related: (nav: string, row: Row) => Row | null): QueryResult {
  let out = q.filter ? rows.filter((r) => matches(r, q.filter as Filter, schema)) : [...rows];
  for (const o of [...q.orderby].reverse()) {
    out.sort((a, b) => {
      const c = compare(a[o.field], (b[o.field] ?? null) as Literal) ?? 0;
      return o.desc ? -c : c;
    });
  }
  const count = q.count ? out.length : undefined;
  if (q.top !== undefined) out = out.slice(0, q.top);
  const projected = out.map((row) => {
    const result: Row = row['@odata.etag'] === undefined ? {} : { '@odata.etag': row['@odata.etag'] };
    const fields = q.select ?? schema.columns;
    for (const f of fields) result[f] = row[f] ?? null;
    result[schema.key] = row[schema.key];
    for (const e of q.expand) {
      const target = related(e.name, row);
      const nav = schema.expand?.[e.name];
      if (!target || !nav) { result[e.name] = null; continue; }
      const sub: Row = { '@odata.etag': target['@odata.etag'] };
      for (const f of e.select ?? nav.columns) sub[f] = target[f] ?? null;
      sub[nav.key] = target[nav.key];
      result[e.name] = sub;
    }
    return result;
  });
  const selectPart = q.select ? q.select.join(',') : '';
  const expandPart = q.expand.map((e) => `${e.name}(${(e.select ?? []).join(',')})`).join(',');
  const inner = [selectPart, expandPart].filter((x) => x).join(',');
  return { rows: projected, count, contextSuffix: inner ? `${schema.entitySet}(${inner})` : schema.entitySet };
}
