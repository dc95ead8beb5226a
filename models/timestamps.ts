/**
 * Observation times: parsing ISO 8601 date-times strictly and refusing times a reading cannot
 * have been taken at. Readings are stored at the time they were observed, so a wrong time is as
 * bad as a wrong value.
 */

// RFC 3339 §5.6 profile of ISO 8601, with optional seconds and a mandatory offset: a time without
// one is local to an unknown zone, and guessing would silently shift readings by hours.
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/

const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

/**
 * Milliseconds since the epoch of an ISO 8601 date-time with offset, e.g. `2025-03-04T09:15:00Z`;
 * undefined for anything else, including impossible dates such as 30 February.
 */
export function parseDateTime(text: string): number | undefined {
  const m = dateTimePattern.exec(text)
  if (m === null) return undefined
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4])
  const minute = Number(m[5])
  const second = m[6] === undefined ? 0 : Number(m[6])
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined
  const lastDay = month === 2 && isLeapYear(year) ? 29 : (daysInMonth[month - 1] ?? 0)
  if (day > lastDay) return undefined
  // Digits beyond milliseconds are truncated; taken from the text to avoid float rounding.
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(1, 4).padEnd(3, '0'))
  let offsetMinutes = 0
  if (m[8] === undefined) {
    const offsetHours = Number(m[10])
    const offsetMins = Number(m[11])
    if (offsetHours > 23 || offsetMins > 59) return undefined
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins)
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000
}

/**
 * The text of a date-time value: a plain string (keyValues, concise) or the JSON-LD typed literal
 * `{"@type": "DateTime", "@value": "…"}` of normalized Smart Data Models examples.
 */
export function dateTimeText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const literal = value as Record<string, unknown>
    if (literal['@type'] === 'DateTime' && typeof literal['@value'] === 'string') return literal['@value']
  }
  return undefined
}

export interface TimeLimits {
  /** Broker receive time, ms since the epoch. */
  readonly receivedAt: number
  /** How far past the receive time a device clock may run before its times are refused. */
  readonly maxFutureSkewMs: number
}

/** Why an observation time (ms since the epoch) cannot be used; undefined when it can. */
export function timeProblem(time: number, limits: TimeLimits): string | undefined {
  // ECMAScript dates span ±8.64e15 ms (ECMA-262 §21.4.1.1); beyond that nothing is an instant.
  if (!Number.isInteger(time) || Math.abs(time) > 8.64e15) return 'is not a representable instant'
  if (time < 0) return `${new Date(time).toISOString()} lies before 1970`
  if (time > limits.receivedAt + limits.maxFutureSkewMs) {
    const ahead = Math.round((time - limits.receivedAt) / 1000)
    return `${new Date(time).toISOString()} is ${ahead} s after the message was received (allowed: ${limits.maxFutureSkewMs / 1000} s)`
  }
  return undefined
}
