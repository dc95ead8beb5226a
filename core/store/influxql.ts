/**
 * The few InfluxQL pieces the store builds statements from. Every name and value goes through
 * one of these quoting functions; nothing from outside is ever pasted into a statement raw.
 *
 * InfluxQL reads `\\`, `\"`, `\'` and `\n` as escapes inside both quoted identifiers and string
 * literals, and rejects a raw line break there, so both quoting functions escape all four.
 */

/** A double-quoted identifier: measurement, field or tag key. Regex characters stay literal. */
export function quoteIdentifier(name: string): string {
  return '"' + escapeQuoted(name, /["\\\n]/g) + '"'
}

/** A single-quoted string literal, e.g. a tag value in a WHERE clause. */
export function quoteString(value: string): string {
  return "'" + escapeQuoted(value, /['\\\n]/g) + "'"
}

function escapeQuoted(text: string, specials: RegExp): string {
  return text.replace(specials, (c) => (c === '\n' ? '\\n' : '\\' + c))
}

/** A time literal from milliseconds since the epoch, as an integer with the `ms` unit. */
export function timeLiteral(ms: number): string {
  if (!Number.isSafeInteger(ms)) throw new RangeError(`time must be an integer number of milliseconds, got ${ms}`)
  return `${ms}ms`
}

/** `"key"::tag = 'value' AND …` in key order; the `::tag` keeps a same-named field out of it. */
export function tagConditions(tags: Readonly<Record<string, string>>): string[] {
  return Object.keys(tags)
    .sort()
    .map((key) => `${quoteIdentifier(key)}::tag = ${quoteString(tags[key] ?? '')}`)
}

/** `time >= from AND time < to`: inclusive start, exclusive end. */
export function timeRange(fromMs: number, toMs: number): string[] {
  return [`time >= ${timeLiteral(fromMs)}`, `time < ${timeLiteral(toMs)}`]
}

/** The WHERE clause of the conditions, or nothing when there are none. */
export function whereClause(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`
}
