/**
 * A small typed InfluxQL: every panel query of the dashboards is built from these pieces and
 * rendered in one place, so identifiers are always quoted, tag filters always say `::tag`, and
 * every query is bounded by Grafana's `$timeFilter`. Grafana's `$__interval` and template
 * variables (`$tenant`) are left for Grafana to fill in.
 */

export type Aggregate = 'sum' | 'mean' | 'max' | 'min' | 'last' | 'count' | 'median'

export type Expr =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'call'; readonly fn: Aggregate | 'moving_average'; readonly of: Expr; readonly n?: number }
  | { readonly kind: 'math'; readonly op: '+' | '-' | '*' | '/'; readonly left: Expr | number; readonly right: Expr | number }

export interface Selection {
  readonly expr: Expr
  /** Column name in the result, and the series name Grafana shows. */
  readonly as: string
}

/** A tag filter: one value, one of several, or whatever the named template variable selects. */
export type Condition =
  | { readonly tag: string; readonly is: string }
  | { readonly tag: string; readonly oneOf: readonly string[] }
  | { readonly tag: string; readonly variable: TemplateVariable }

/** The dashboards' template variables; a query may filter by any of them. */
export type TemplateVariable = 'tenant' | 'site' | 'fraction' | 'host'

export interface InfluxQuery {
  readonly select: readonly Selection[]
  /** A measurement, or subqueries whose rows are combined (InfluxQL's `FROM (…), (…)`). */
  readonly from: string | readonly InfluxQuery[]
  readonly where?: readonly Condition[]
  /** `auto` is Grafana's `$__interval`; a duration such as `1h` is fixed. */
  readonly groupByTime?: 'auto' | `${number}${'m' | 'h' | 'd'}`
  readonly groupByTags?: readonly string[]
  readonly fill?: 'none' | 'null' | '0' | 'previous'
}

export const field = (name: string): Expr => ({ kind: 'field', name })
export const sum = (of: Expr | string): Expr => call('sum', of)
export const mean = (of: Expr | string): Expr => call('mean', of)
export const max = (of: Expr | string): Expr => call('max', of)
export const last = (of: Expr | string): Expr => call('last', of)
export const count = (of: Expr | string): Expr => call('count', of)
export const movingAverage = (of: Expr, n: number): Expr => ({ kind: 'call', fn: 'moving_average', of, n })
export const times = (left: Expr | number, right: Expr | number): Expr => ({ kind: 'math', op: '*', left, right })
export const dividedBy = (left: Expr | number, right: Expr | number): Expr => ({ kind: 'math', op: '/', left, right })
export const minus = (left: Expr | number, right: Expr | number): Expr => ({ kind: 'math', op: '-', left, right })

function call(fn: Aggregate, of: Expr | string): Expr {
  return { kind: 'call', fn, of: typeof of === 'string' ? field(of) : of }
}

/** The InfluxQL statement, with Grafana's macros in place. */
export function renderQuery(q: InfluxQuery): string {
  const select = q.select.map((s) => `${renderExpr(s.expr)} AS ${quote(s.as)}`).join(', ')
  const from = typeof q.from === 'string' ? quote(q.from) : q.from.map((sub) => `(${renderQuery(sub)})`).join(', ')
  const where = [...(q.where ?? []).map(renderCondition), '$timeFilter'].join(' AND ')
  const groups = [...(q.groupByTime ? [`time(${q.groupByTime === 'auto' ? '$__interval' : q.groupByTime})`] : []), ...(q.groupByTags ?? []).map(quote)]
  const groupBy = groups.length > 0 ? ` GROUP BY ${groups.join(', ')}` : ''
  const fill = q.fill ? ` fill(${q.fill})` : ''
  return `SELECT ${select} FROM ${from} WHERE ${where}${groupBy}${fill}`
}

function renderExpr(e: Expr | number): string {
  // 12 significant digits: factors such as 4.68568 / 1000 print as written, not with binary noise.
  if (typeof e === 'number') return String(Number(e.toPrecision(12)))
  switch (e.kind) {
    case 'field':
      return quote(e.name)
    case 'call':
      return e.n === undefined ? `${e.fn}(${renderExpr(e.of)})` : `${e.fn}(${renderExpr(e.of)}, ${e.n})`
    case 'math':
      return `(${renderExpr(e.left)} ${e.op} ${renderExpr(e.right)})`
  }
}

function renderCondition(c: Condition): string {
  const tag = `${quote(c.tag)}::tag`
  if ('is' in c) return `${tag} = '${escapeString(c.is)}'`
  if ('oneOf' in c) return `${tag} =~ /^(${c.oneOf.map(escapeRegex).join('|')})$/`
  // Grafana writes a multi-value or "All" selection as a regex group, e.g. (a|b) or .*
  return `${tag} =~ /^$${c.variable}$/`
}

/** `SHOW TAG VALUES` for a template variable, narrowed by the variables it depends on. */
export function tagValuesQuery(measurements: readonly string[], key: string, where: readonly Condition[] = []): string {
  const from = measurements.length > 0 ? ` FROM ${measurements.map(quote).join(', ')}` : ''
  const filter = where.length > 0 ? ` WHERE ${where.map(renderCondition).join(' AND ')}` : ''
  return `SHOW TAG VALUES${from} WITH KEY = ${quote(key)}${filter}`
}

function quote(identifier: string): string {
  return `"${identifier.replace(/["\\]/g, (c) => `\\${c}`)}"`
}

function escapeString(value: string): string {
  return value.replace(/['\\]/g, (c) => `\\${c}`)
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\/]/g, (c) => `\\${c}`)
}
