import { Writable } from 'node:stream'
import Fastify, { type FastifyBaseLogger, type InjectOptions } from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import type { ZodScope } from '../../api/deps.js'
import { errorHandler, invalidParameter, notFoundHandler } from '../../api/errors.js'
import { PlatformError, type ErrorCode } from '../../models/errors.js'

/**
 * The error handler on an app of its own, with zod schemas like the routes': each failure a
 * route can meet is thrown by a route here, and the answer checked as a client sees it.
 */

const logLines: Record<string, unknown>[] = []
const logSink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>)
    done()
  },
})

let app: ZodScope

beforeAll(async () => {
  const logger: FastifyBaseLogger = pino({ level: 'warn' }, logSink)
  app = Fastify({ loggerInstance: logger }).withTypeProvider<ZodTypeProvider>()
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  app.get('/platform/:code', { schema: { params: z.strictObject({ code: z.string() }) } }, async (request) => {
    throw new PlatformError(request.params.code as ErrorCode, `inside detail of ${request.params.code}`, { parameter: 'which' })
  })
  app.get('/invalid', async () => {
    throw invalidParameter('site', 'is not a site of this tenant')
  })
  app.get('/unexpected', async () => {
    throw new TypeError('cannot read /srv/secret/path')
  })
  app.get(
    '/validated/:id',
    {
      schema: {
        params: z.strictObject({ id: z.string().regex(/^[a-z]+$/, 'must be lower-case letters') }),
        querystring: z.strictObject({ limit: z.coerce.number().int('must be a whole number').optional() }),
      },
    },
    async () => ({ ok: true }),
  )
  app.post(
    '/validated',
    { schema: { body: z.strictObject({ name: z.string(), kinds: z.strictObject({ fill: z.strictObject({ threshold: z.number().max(1, 'must be at most 1') }) }).optional() }) } },
    async () => ({ ok: true }),
  )
  await app.ready()
})
afterAll(() => app.close())

describe('errorHandler: platform errors', () => {
  it.each([
    ['DEVICE_UNKNOWN', 404],
    ['TENANT_FORBIDDEN', 403],
    ['ALERT_NOT_OPEN', 409],
    ['RATE_LIMITED', 429],
  ] as const)('should answer %s, a code written for clients, with its status and the message as thrown', async (code, status) => {
    const response = await app.inject({ method: 'GET', url: `/platform/${code}` })
    expect(response.statusCode).toBe(status)
    expect(response.json()).toEqual({ error: { code, message: `inside detail of ${code}`, parameter: 'which' } })
  })

  it.each([
    ['STORE_QUERY_FAILED', 502, 'the time-series store refused the query'],
    ['STORE_AUTH_FAILED', 502, 'the time-series store refused the credentials'],
  ] as const)('should answer %s with its status and the catalogue summary instead of the message', async (code, status, summary) => {
    const response = await app.inject({ method: 'GET', url: `/platform/${code}` })
    expect(response.statusCode).toBe(status)
    expect(response.json()).toEqual({ error: { code, message: summary, parameter: 'which' } })
    expect(response.body).not.toContain('inside detail')
  })

  it('should ask a client to retry a 503 after five seconds', async () => {
    for (const code of ['STORE_UNAVAILABLE', 'SHUTTING_DOWN']) {
      const response = await app.inject({ method: 'GET', url: `/platform/${code}` })
      expect(response.statusCode, code).toBe(503)
      expect(response.headers['retry-after'], code).toBe('5')
    }
    expect((await app.inject({ method: 'GET', url: '/platform/STORE_QUERY_FAILED' })).headers['retry-after']).toBeUndefined()
  })

  it('should answer a code without a status of its own with 500, the catalogue summary and the request id', async () => {
    const response = await app.inject({ method: 'GET', url: '/platform/ALERT_RULES_INVALID' })
    expect(response.statusCode).toBe(500)
    const { error } = response.json<{ error: { code: string; message: string; correlationId: string } }>()
    expect(error.code).toBe('ALERT_RULES_INVALID')
    expect(error.message).toBe('the alert rules file is invalid')
    // The request id, which finds the logged failure.
    expect(error.correlationId).toMatch(/\S/)
    expect(logLines.some((line) => line.msg === 'request failed' && line.reqId === error.correlationId)).toBe(true)
  })

  it('should name the parameter of a cross-parameter check', async () => {
    const response = await app.inject({ method: 'GET', url: '/invalid' })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toEqual({ error: { code: 'INVALID_PARAMETER', message: 'query parameter "site": is not a site of this tenant', parameter: 'site' } })
  })
})

describe('errorHandler: anything else', () => {
  it('should answer an unexpected error with 500 INTERNAL and the request id only, logging the error', async () => {
    const response = await app.inject({ method: 'GET', url: '/unexpected' })
    expect(response.statusCode).toBe(500)
    const { error } = response.json<{ error: { code: string; message: string; correlationId: string } }>()
    expect(error).toEqual({ code: 'INTERNAL', message: 'an unexpected error occurred', correlationId: error.correlationId })
    expect(response.body).not.toMatch(/secret|TypeError/)
    const logged = logLines.find((line) => line.msg === 'unexpected error' && line.reqId === error.correlationId && line.correlationId === error.correlationId)
    expect((logged?.err as { message?: string } | undefined)?.message).toBe('cannot read /srv/secret/path')
  })

  it('should answer Fastify\'s own client errors with their status and REQUEST_INVALID', async () => {
    const malformed = await app.inject({ method: 'POST', url: '/validated', payload: '{"name":', headers: { 'content-type': 'application/json' } })
    expect(malformed.statusCode).toBe(400)
    expect(malformed.json()).toMatchObject({ error: { code: 'REQUEST_INVALID' } })
    const unsupported = await app.inject({ method: 'POST', url: '/validated', payload: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    expect(unsupported.statusCode).toBe(415)
    expect(unsupported.json()).toMatchObject({ error: { code: 'REQUEST_INVALID' } })
  })
})

describe('errorHandler: schema validation', () => {
  const failure = async (request: InjectOptions): Promise<{ status: number; error: { code: string; message: string; parameter?: string } }> => {
    const response = await app.inject(request)
    return { status: response.statusCode, error: response.json<{ error: { code: string; message: string; parameter?: string } }>().error }
  }

  it('should name a path parameter that fails its schema', async () => {
    expect(await failure({ method: 'GET', url: '/validated/ABC' })).toEqual({ status: 400, error: { code: 'INVALID_PARAMETER', message: 'path parameter "id": must be lower-case letters', parameter: 'id' } })
  })

  it('should name a query parameter that fails its schema, and an unknown one', async () => {
    expect(await failure({ method: 'GET', url: '/validated/abc?limit=2.5' })).toEqual({ status: 400, error: { code: 'INVALID_PARAMETER', message: 'query parameter "limit": must be a whole number', parameter: 'limit' } })
    expect(await failure({ method: 'GET', url: '/validated/abc?limt=2' })).toEqual({ status: 400, error: { code: 'INVALID_PARAMETER', message: 'unknown query parameter "limt"', parameter: 'limt' } })
  })

  it('should name a nested body field by its whole path and the parameter by its top-level field', async () => {
    expect(await failure({ method: 'POST', url: '/validated', payload: { name: 'n', kinds: { fill: { threshold: 2 } } } })).toEqual({
      status: 400,
      error: { code: 'INVALID_PARAMETER', message: 'body field "kinds.fill.threshold": must be at most 1', parameter: 'kinds' },
    })
    expect(await failure({ method: 'POST', url: '/validated', payload: { name: 'n', kinds: { fill: { threshold: 0.5, flood: 1 } } } })).toEqual({
      status: 400,
      error: { code: 'INVALID_PARAMETER', message: 'unknown body field "kinds.fill.flood"', parameter: 'kinds' },
    })
  })

  it('should let a valid request through', async () => {
    expect((await app.inject({ method: 'GET', url: '/validated/abc?limit=3' })).json()).toEqual({ ok: true })
  })
})

describe('notFoundHandler', () => {
  it('should answer 404 ROUTE_UNKNOWN naming the method and the path without its query', async () => {
    const response = await app.inject({ method: 'DELETE', url: '/nowhere/at/all?token=secret' })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toEqual({ error: { code: 'ROUTE_UNKNOWN', message: 'no endpoint DELETE /nowhere/at/all' } })
  })
})
