import { pino, type DestinationStream, type Logger } from 'pino'

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
  'config.kafka.sasl.password',
  'kafka.sasl.password',
  'sasl.password',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.headers.authorization',
  'headers["x-api-key"]',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
]

/**
 * `destination` defaults to stdout, written synchronously: an asynchronous write that meets a
 * busy pipe is retried later, after lines written since, so an operator would read a shutdown out
 * of order, and a crash could lose the last lines. The platform logs little (no line per record).
 * Tests pass a stream to read what would be written.
 */
export function createLogger(level: string, name = 'circular', destination?: DestinationStream): Logger {
  const options = { name, level, redact: { paths: redactedPaths, censor: '[redacted]' } }
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }))
}
