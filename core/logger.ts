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
  const options = { name, level, redact: { paths: redactedPaths, censor: '[redacted]' }, serializers: { req: redactedRequest } }
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }))
}

/** Query parameters whose values are credentials, should a client send one there (the API refuses them, but the request is logged). */
const credentialParameters = /^(key|api[-_]?key|apikey|token|access[-_]?token|password|secret|auth|authorization)$/i

/** A request as the HTTP server logs it, its URL's credential parameters replaced. */
function redactedRequest(request: unknown): unknown {
  if (typeof request !== 'object' || request === null) return request
  const r = request as { method?: string; url?: string; host?: string; hostname?: string; ip?: string }
  return { method: r.method, url: typeof r.url === 'string' ? redactedUrl(r.url) : r.url, host: r.host ?? r.hostname, remoteAddress: r.ip }
}

export function redactedUrl(url: string): string {
  const query = url.indexOf('?')
  if (query < 0) return url
  const parameters = url
    .slice(query + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=')[0] ?? ''
      let decoded = name
      try {
        decoded = decodeURIComponent(name)
      } catch {
        // A malformed name is kept as it came.
      }
      return credentialParameters.test(decoded) && pair.includes('=') ? `${name}=[redacted]` : pair
    })
  return `${url.slice(0, query)}?${parameters.join('&')}`
}
