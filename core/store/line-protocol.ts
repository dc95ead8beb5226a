import { PlatformError } from '../../models/errors.js'
import type { FieldValue, Point, RejectedPoint } from './store.js'

/**
 * InfluxDB line protocol, built by string concatenation: one line per point, numbers always
 * floats (never the `i` suffix, so a field keeps one type whatever value arrives), tags in key
 * order, times in milliseconds for writes with `precision=ms`.
 *
 * What line protocol cannot carry is refused per point instead of written wrongly: newlines in
 * names and tags (a newline ends the line), a backslash before an escapable character or at the
 * end (1.x reads it as an escape), a measurement starting with `#` (a comment line), and values
 * that are not finite numbers, strings or booleans.
 */

/** Characters that may need work in a name; when none is present the name is used as is. */
const unusualInName = /[,= \\\n\r]/
const measurementSpecials = /[, ]/g
const keySpecials = /[,= ]/g
/** A backslash that 1.x would read as an escape (before , = space) or that ends the text. */
const ambiguousBackslash = /\\(?=[,= ]|$)/
const newline = /[\n\r]/
const unusualInString = /["\\\n\r]/
const stringSpecials = /["\\]/g
const lineBreaks = /\r\n|[\n\r]/g

/** Nanosecond timestamps are int64, so milliseconds beyond ±2^63 ns cannot be stored. */
const maxTimeMs = 9_223_372_036_854

export interface EncodedPoints {
  /** One line per encodable point, in input order. */
  readonly lines: string[]
  /** The points behind `lines`, index for index. */
  readonly points: Point[]
  /** Points that line protocol cannot represent, with the reason. */
  readonly refused: RejectedPoint[]
}

/** Encodes every point it can; the others are returned in `refused` with the reason. */
export function encodePoints(points: readonly Point[]): EncodedPoints {
  const lines: string[] = []
  const encoded: Point[] = []
  const refused: RejectedPoint[] = []
  for (const point of points) {
    try {
      lines.push(encodePoint(point))
      encoded.push(point)
    } catch (error) {
      if (!PlatformError.is(error, 'POINT_REJECTED')) throw error
      refused.push({ point, reason: error.message })
    }
  }
  return { lines, points: encoded, refused }
}

/** One line without its newline. Throws `POINT_REJECTED` when the point cannot be represented. */
export function encodePoint(point: Point): string {
  const measurement = point.measurement
  if (measurement.charCodeAt(0) === 0x23) refuse(`measurement "${measurement}" starts with #, which line protocol reads as a comment`)
  let line = escapeName(measurement, measurementSpecials, 'measurement')

  const tags = point.tags
  const tagKeys = Object.keys(tags)
  if (tagKeys.length > 1) tagKeys.sort()
  for (const key of tagKeys) {
    const value = tags[key]
    // Line protocol has no empty tag value; a series without the tag is the same thing.
    if (value === undefined || value === '') continue
    line += ',' + escapeName(key, keySpecials, 'tag key') + '=' + escapeName(value, keySpecials, 'value of tag', key)
  }

  let separator = ' '
  const fields = point.fields
  for (const key in fields) {
    line += separator + escapeName(key, keySpecials, 'field key') + '=' + formatValue(key, fields[key])
    separator = ','
  }
  if (separator === ' ') refuse('the point has no fields')

  const time = point.time
  if (!Number.isSafeInteger(time) || time > maxTimeMs || time < -maxTimeMs) refuse(`time ${time} is not an integer number of milliseconds within InfluxDB's range`)
  return line + ' ' + time
}

/** `what` and `owner` only name the text in a refusal, so the common path builds no message. */
function escapeName(text: string, specials: RegExp, what: string, owner?: string): string {
  if (text === '') refuse(`${describe(what, owner)} is empty`)
  if (!unusualInName.test(text)) return text
  if (newline.test(text)) refuse(`${describe(what, owner)} ${JSON.stringify(text)} contains a line break`)
  if (ambiguousBackslash.test(text)) refuse(`${describe(what, owner)} ${JSON.stringify(text)} has a backslash that line protocol would read as an escape`)
  return text.replace(specials, '\\$&')
}

function describe(what: string, owner: string | undefined): string {
  return owner === undefined ? what : `${what} "${owner}"`
}

function formatValue(key: string, value: FieldValue | undefined): string {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) refuse(`field "${key}" is ${value}, which line protocol cannot store`)
      return String(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'string':
      return '"' + escapeString(value) + '"'
    default:
      return refuse(`field "${key}" has a value of type ${value === null ? 'null' : typeof value}`)
  }
}

// InfluxDB 1.x keeps a raw line break inside a quoted string, but 2.x and 3.x document line
// protocol as not supporting it; a space keeps the text readable and the write portable.
function escapeString(value: string): string {
  if (!unusualInString.test(value)) return value
  return value.replace(stringSpecials, '\\$&').replace(lineBreaks, ' ')
}

function refuse(reason: string): never {
  throw new PlatformError('POINT_REJECTED', reason)
}
