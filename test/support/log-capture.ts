import { Writable } from 'node:stream'
import { createLogger, type Logger } from '../../core/logger.js'

/** A platform logger (same redaction and format) whose lines a test reads back, parsed, in order. */
export function capturedLogger(level: string): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = []
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  return { logger: createLogger(level, 'test', sink), lines }
}
