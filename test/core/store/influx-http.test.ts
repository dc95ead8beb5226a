import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { Config } from '../../../core/config.js'
import { InfluxHttp } from '../../../core/store/influx-http.js'
import { startHttpReceiver, type Answer, type HttpReceiver, type ReceivedRequest } from '../../support/http-receiver.js'
import { closedPort } from './test-database.js'

/** A request with its body as text: line protocol and query forms are text. */
type Received = Omit<ReceivedRequest, 'body'> & { readonly body: string }

/**
 * A local HTTP server standing in for InfluxDB's failure answers, which a healthy InfluxDB will
 * not give on demand: each test says how it answers and reads back what the client sent.
 */
let receiver: HttpReceiver
let base: string
let answer: (req: Received) => Answer = () => ({ status: 204 })
const received: Received[] = []

beforeAll(async () => {
  receiver = await startHttpReceiver()
  base = receiver.url
  receiver.answerWith((request) => {
    const text: Received = { ...request, body: request.body.toString('utf8') }
    received.push(text)
    return answer(text)
  })
})
afterEach(() => {
  received.splice(0)
  receiver.received.length = 0
  answer = () => ({ status: 204 })
})
afterAll(() => receiver.close())

const client = (overrides: Partial<Config['influx']> = {}): InfluxHttp => new InfluxHttp({ url: base, database: 'city', timeoutMs: 2000, ...overrides })
const json = (status: number, value: unknown, headers: Record<string, string> = {}): Answer => ({ status, body: JSON.stringify(value), headers: { 'content-type': 'application/json', ...headers } })

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string; canRetry: boolean; details: Record<string, unknown> }> {
  try {
    await promise
  } catch (error) {
    return error as { code: string; message: string; canRetry: boolean; details: Record<string, unknown> }
  }
  throw new Error('expected the request to fail')
}

describe('InfluxHttp write', () => {
  test('should POST the lines to /write of the database in ms precision, and count 204 and 200 as written', async () => {
    expect(await client({ database: 'my city&db' }).write('m v=1 1000\nm v=2 2000')).toEqual({ kind: 'written' })
    expect(received[0]).toMatchObject({ method: 'POST', url: '/write?db=my%20city%26db&precision=ms', body: 'm v=1 1000\nm v=2 2000', headers: { 'content-type': 'text/plain; charset=utf-8' } })
    answer = () => ({ status: 200 })
    expect(await client().write('m v=1')).toEqual({ kind: 'written' })
  })

  test('should say which lines were refused with InfluxDB\'s reason, from the JSON error, the message, the header or the text', async () => {
    answer = () => json(400, { error: 'partial write: field type conflict: input field "v" on measurement "m" is type string, already exists as type float dropped=1' })
    expect(await client().write('m v="x"')).toEqual({ kind: 'refused', reason: 'partial write: field type conflict: input field "v" on measurement "m" is type string, already exists as type float dropped=1' })
    answer = () => json(422, { code: 'unprocessable entity', message: 'failure writing points to database: partial write' })
    expect(await client().write('m v=1')).toEqual({ kind: 'refused', reason: 'failure writing points to database: partial write' })
    answer = () => ({ status: 413, body: 'Request Entity Too Large', headers: { 'x-influxdb-error': 'body exceeded max size' } })
    expect(await client().write('m v=1')).toEqual({ kind: 'refused', reason: 'body exceeded max size' })
    answer = () => ({ status: 400, body: '  unable to parse line  \n' })
    expect(await client().write('m')).toEqual({ kind: 'refused', reason: 'unable to parse line' })
    answer = () => ({ status: 400 })
    expect(await client().write('m')).toEqual({ kind: 'refused', reason: 'HTTP 400' })
  })

  test('a missing database should be told apart from another 404', async () => {
    answer = () => json(404, { error: 'database not found: "city"' })
    expect(await client().write('m v=1')).toEqual({ kind: 'database-missing' })
    answer = () => ({ status: 404, body: '404 page not found' })
    expect(await failure(client().write('m v=1'))).toMatchObject({ code: 'STORE_REQUEST_REFUSED', canRetry: false, message: 'InfluxDB refused the write with HTTP 404: 404 page not found' })
  })

  test('a 5xx should be the retryable STORE_UNAVAILABLE, and 401 and 403 STORE_AUTH_FAILED', async () => {
    answer = () => json(503, { error: 'engine is closed' })
    expect(await failure(client().write('m v=1'))).toMatchObject({ code: 'STORE_UNAVAILABLE', canRetry: true, message: 'InfluxDB write failed with HTTP 503: engine is closed', details: { endpoint: base, status: 503, reason: 'engine is closed' } })
    for (const status of [401, 403]) {
      answer = () => json(status, { error: 'authorization failed' })
      expect(await failure(client().write('m v=1'))).toMatchObject({ code: 'STORE_AUTH_FAILED', message: `InfluxDB refused the credentials (HTTP ${status}): authorization failed` })
    }
  })
})

describe('InfluxHttp query', () => {
  test('should POST the statements as a form with ms epochs, naming the database only when given, and return the JSON', async () => {
    answer = () => json(200, { results: [{ statement_id: 0 }] })
    expect(await client().query('SHOW DATABASES')).toEqual({ results: [{ statement_id: 0 }] })
    expect(await client().query('SELECT * FROM "m"; SELECT 1', 'other db')).toEqual({ results: [{ statement_id: 0 }] })
    const [first, second] = received
    expect(first).toMatchObject({ method: 'POST', url: '/query', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(Object.fromEntries(new URLSearchParams(first!.body))).toEqual({ q: 'SHOW DATABASES', epoch: 'ms' })
    expect(Object.fromEntries(new URLSearchParams(second!.body))).toEqual({ q: 'SELECT * FROM "m"; SELECT 1', epoch: 'ms', db: 'other db' })
  })

  test('a refused statement should be STORE_QUERY_FAILED, a 5xx STORE_UNAVAILABLE, and an answer that is no JSON too', async () => {
    answer = () => json(400, { error: 'error parsing query: found SELEC' })
    expect(await failure(client().query('SELEC 1'))).toMatchObject({ code: 'STORE_QUERY_FAILED', message: 'InfluxDB refused the query: error parsing query: found SELEC', details: { reason: 'error parsing query: found SELEC' } })
    answer = () => ({ status: 500, body: 'oops' })
    expect(await failure(client().query('SHOW DATABASES'))).toMatchObject({ code: 'STORE_UNAVAILABLE', message: 'InfluxDB query failed with HTTP 500: oops' })
    answer = () => ({ status: 200, body: '<html>proxy error</html>' })
    expect(await failure(client().query('SHOW DATABASES'))).toMatchObject({ code: 'STORE_UNAVAILABLE', message: 'InfluxDB answered a query with something that is not JSON' })
    answer = () => json(401, { error: 'unable to parse authentication credentials' })
    expect(await failure(client().query('SHOW DATABASES'))).toMatchObject({ code: 'STORE_AUTH_FAILED' })
  })
})

describe('InfluxHttp transport', () => {
  test('credentials should go in the header: a token as Token, a user as Basic, the token winning', async () => {
    answer = () => ({ status: 204 })
    await client({ token: 'tok-123', username: 'ignored', password: 'x' }).ping()
    await client({ username: 'ops', password: 'p:w' }).ping()
    await client({ username: 'ops' }).ping()
    await client().ping()
    expect(received.map((r) => r.headers.authorization)).toEqual(['Token tok-123', `Basic ${Buffer.from('ops:p:w').toString('base64')}`, `Basic ${Buffer.from('ops:').toString('base64')}`, undefined])
  })

  test('the endpoint named in messages should carry no credentials and no trailing slash', () => {
    expect(new InfluxHttp({ url: 'https://reader:s3cret@influx.example.org:8086/v1/', database: 'city', timeoutMs: 1000 }).endpoint).toBe('https://influx.example.org:8086/v1')
  })

  test('a server that does not answer in time should be STORE_UNAVAILABLE, timed out', async () => {
    answer = () => ({ status: 204, delayMs: 2000 })
    const started = Date.now()
    expect(await failure(client({ timeoutMs: 200 }).write('m v=1'))).toMatchObject({ code: 'STORE_UNAVAILABLE', canRetry: true, message: `InfluxDB at ${base} did not answer: timed out` })
    expect(Date.now() - started).toBeLessThan(1500)
  })

  test('an unreachable server should be STORE_UNAVAILABLE naming the connection error, and ping false', async () => {
    const port = await closedPort()
    const unreachable = client({ url: `http://127.0.0.1:${port}` })
    expect(await failure(unreachable.query('SHOW DATABASES'))).toMatchObject({ code: 'STORE_UNAVAILABLE', message: `InfluxDB at http://127.0.0.1:${port} did not answer: connect ECONNREFUSED 127.0.0.1:${port}` })
    expect(await unreachable.ping()).toBe(false)
  })

  test('ping should be true for 204 and 200 only, and false when slower than its own limit', async () => {
    expect(await client().ping()).toBe(true)
    expect(received[0]).toMatchObject({ method: 'GET', url: '/ping' })
    answer = () => ({ status: 200 })
    expect(await client().ping()).toBe(true)
    answer = () => ({ status: 503 })
    expect(await client().ping()).toBe(false)
    answer = () => ({ status: 204, delayMs: 1000 })
    // The ping's limit is the smaller of the request timeout and 3 s.
    const started = Date.now()
    expect(await client({ timeoutMs: 300 }).ping()).toBe(false)
    expect(Date.now() - started).toBeLessThan(900)
  })
})
