import type { Config } from '../config.js'
import { PlatformError } from '../../models/errors.js'

/** What a write request came to, short of the errors that are thrown. */
export type WriteResponse =
  | { readonly kind: 'written' }
  /** The server refused some of the lines (parse error, field type conflict, too large). */
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'database-missing' }

/** A `/ping` that takes longer than this counts as unreachable, whatever the request timeout. */
const pingTimeoutMs = 3000

/**
 * The InfluxDB v1 HTTP API: `/write`, `/query` and `/ping`. Served natively by 1.x and 3.x and by
 * 2.x through its v1 compatibility layer, which is why the store speaks nothing else. Turns
 * transport failures into coded errors: unreachable, timed out or 5xx → `STORE_UNAVAILABLE`
 * (retryable), 401/403 → `STORE_AUTH_FAILED`, other unexpected answers → `STORE_REQUEST_REFUSED`.
 */
export class InfluxHttp {
  private readonly authorization: string | undefined
  /** The server's address for messages, without any credentials a URL might carry. */
  readonly endpoint: string

  constructor(private readonly config: Config['influx']) {
    this.authorization = authorizationHeader(config)
    const url = new URL(config.url)
    this.endpoint = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`
  }

  async write(lines: string): Promise<WriteResponse> {
    const path = `/write?db=${encodeURIComponent(this.config.database)}&precision=ms`
    const response = await this.request(path, { method: 'POST', body: lines, contentType: 'text/plain; charset=utf-8' })
    const status = response.status
    if (status === 204 || status === 200) return { kind: 'written' }
    const reason = errorText(status, response.headers, response.body)
    // 400: parse error or type conflict (1.x partial write); 422: the same on 2.x; 413: too large.
    if (status === 400 || status === 413 || status === 422) return { kind: 'refused', reason }
    if (status === 404 && /database not found/i.test(reason)) return { kind: 'database-missing' }
    throw this.failure(status, reason, 'write')
  }

  /**
   * Runs one or more `;`-separated statements, with `db` for those that need a database, and
   * returns the parsed JSON. Query errors inside the JSON are the caller's to interpret.
   */
  async query(statements: string, database?: string): Promise<unknown> {
    const form = new URLSearchParams({ q: statements, epoch: 'ms' })
    if (database !== undefined) form.set('db', database)
    const response = await this.request('/query', { method: 'POST', body: form.toString(), contentType: 'application/x-www-form-urlencoded' })
    const status = response.status
    if (status === 200) return parseJson(response.body)
    const reason = errorText(status, response.headers, response.body)
    if (status === 400) throw new PlatformError('STORE_QUERY_FAILED', `InfluxDB refused the query: ${reason}`, { reason })
    throw this.failure(status, reason, 'query')
  }

  async ping(): Promise<boolean> {
    try {
      const response = await this.request('/ping', { method: 'GET', timeoutMs: Math.min(this.config.timeoutMs, pingTimeoutMs) })
      return response.status === 204 || response.status === 200
    } catch {
      return false
    }
  }

  private async request(
    path: string,
    options: { method: 'GET' | 'POST'; body?: string; contentType?: string; timeoutMs?: number },
  ): Promise<{ status: number; headers: Headers; body: string }> {
    const headers: Record<string, string> = {}
    if (this.authorization !== undefined) headers.authorization = this.authorization
    if (options.contentType !== undefined) headers['content-type'] = options.contentType
    try {
      const response = await fetch(this.config.url + path, {
        method: options.method,
        headers,
        body: options.body,
        signal: AbortSignal.timeout(options.timeoutMs ?? this.config.timeoutMs),
      })
      // Reading the body, even an empty one, hands the connection back to the pool.
      return { status: response.status, headers: response.headers, body: await response.text() }
    } catch (error) {
      throw new PlatformError('STORE_UNAVAILABLE', `InfluxDB at ${this.endpoint} did not answer: ${describeFetchError(error)}`, { endpoint: this.endpoint }, { cause: error })
    }
  }

  private failure(status: number, reason: string, operation: 'write' | 'query'): PlatformError {
    const details = { endpoint: this.endpoint, status, reason }
    if (status >= 500) return new PlatformError('STORE_UNAVAILABLE', `InfluxDB ${operation} failed with HTTP ${status}: ${reason}`, details)
    if (status === 401 || status === 403) return new PlatformError('STORE_AUTH_FAILED', `InfluxDB refused the credentials (HTTP ${status}): ${reason}`, details)
    return new PlatformError('STORE_REQUEST_REFUSED', `InfluxDB refused the ${operation} with HTTP ${status}: ${reason}`, details)
  }
}

/** Basic auth for 1.x users; `Token` for 2.x (v1 compatibility) and 3.x. */
function authorizationHeader(config: Config['influx']): string | undefined {
  if (config.token !== undefined) return `Token ${config.token}`
  if (config.username !== undefined) return `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`
  return undefined
}

/** InfluxDB puts the reason in a JSON `error` member and, in 1.x, in `X-Influxdb-Error`. */
function errorText(status: number, headers: Headers, body: string): string {
  try {
    const parsed: unknown = JSON.parse(body)
    if (typeof parsed === 'object' && parsed !== null) {
      const { error, message } = parsed as { error?: unknown; message?: unknown }
      if (typeof error === 'string' && error !== '') return error
      if (typeof message === 'string' && message !== '') return message
    }
  } catch {
    // not JSON; fall through to the header or the raw text
  }
  const header = headers.get('x-influxdb-error')
  if (header !== null && header !== '') return header
  const text = body.trim().slice(0, 500)
  return text === '' ? `HTTP ${status}` : text
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch (error) {
    throw new PlatformError('STORE_UNAVAILABLE', 'InfluxDB answered a query with something that is not JSON', {}, { cause: error })
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out'
    const cause = (error as { cause?: unknown }).cause
    if (cause instanceof Error) return cause.message
    return error.message
  }
  return String(error)
}
