import type { FieldValue, Point } from '../store.js'

/** The stored type of a field, named as InfluxDB names it so refusals read the same. */
export type FieldType = 'float' | 'string' | 'boolean'

/**
 * Why a point cannot be stored whatever is already in the store, or undefined when it can.
 * Any text is a valid name or value (it is bound, never pasted into SQL); what is refused is what
 * has no meaning as a point: empty names, no fields, a value that is not a finite number, a
 * string or a boolean, a time that is not a whole number of milliseconds.
 */
export function pointProblem(point: Point): string | undefined {
  if (typeof point.measurement !== 'string' || point.measurement === '') return 'measurement is empty'
  for (const key in point.tags) {
    if (key === '') return 'tag key is empty'
    if (typeof point.tags[key] !== 'string') return `value of tag "${key}" is not a string`
  }
  let fields = 0
  for (const key in point.fields) {
    if (key === '') return 'field key is empty'
    if (fieldType(point.fields[key]) === undefined) return `field "${key}" has a value that is not a finite number, a string or a boolean`
    fields++
  }
  if (fields === 0) return 'the point has no fields'
  if (!Number.isSafeInteger(point.time)) return `time ${point.time} is not an integer number of milliseconds`
  return undefined
}

export function fieldType(value: FieldValue | undefined): FieldType | undefined {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? 'float' : undefined
    case 'string':
      return 'string'
    case 'boolean':
      return 'boolean'
    default:
      return undefined
  }
}

/**
 * The tags that identify the series, in key order, as the text the store keys series by. An empty
 * tag value is left out: like InfluxDB, a series without the tag is the same series.
 */
export function tagSetOf(tags: Readonly<Record<string, string>>): string {
  const keys = Object.keys(tags)
  if (keys.length > 1) keys.sort()
  const pairs: [string, string][] = []
  for (const key of keys) {
    const value = tags[key]
    if (value !== undefined && value !== '') pairs.push([key, value])
  }
  return JSON.stringify(pairs)
}

export function tagsOf(tagSet: string): Record<string, string> {
  return Object.fromEntries(JSON.parse(tagSet) as [string, string][])
}

/** SQLite has no boolean; a boolean field is stored as 0 or 1 and told apart by its field type. */
export function encodeValue(value: FieldValue): number | string {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value
}

export function decodeValue(stored: unknown, type: FieldType): FieldValue {
  if (type === 'boolean') return stored === 1
  if (type === 'float') return Number(stored)
  return String(stored)
}
