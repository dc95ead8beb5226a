import { pino, type Logger } from 'pino'

export type { Logger }

/** Paths that may carry credentials; pino replaces their values before anything is written. */
export const redactedPaths = [
  'password',
  'secret',
  'token',
  '*.password',
  '*.secret',
  '*.token',
  'config.influx.password',
  'config.influx.token',
  'config.bridge.password',
  'headers.authorization',
  'req.headers.authorization',
]

export function createLogger(level: string, name = 'circular'): Logger {
  return pino({ name, level, redact: { paths: redactedPaths, censor: '[redacted]' } })
}
