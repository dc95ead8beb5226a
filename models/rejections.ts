import type { ErrorCode } from './errors.js'
import type { Rejection } from './decoding.js'

/** A rejection; `attribute` is left out rather than set to undefined when none is at fault. */
export function reject(code: ErrorCode, message: string, attribute?: string): Rejection {
  return attribute === undefined ? { code, message } : { code, message, attribute }
}

/** A value rendered for a message: short enough for a log line and a dead-letter record. */
export function describeValue(value: unknown): string {
  let text: string
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)
  } catch {
    text = Object.prototype.toString.call(value)
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
