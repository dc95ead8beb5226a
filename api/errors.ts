import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { errorCatalogue, PlatformError, type ErrorCode } from '../models/errors.js'
import type { ErrorBody } from './schemas.js'

/**
 * How failures reach API clients: `{ error: { code, message, parameter? } }` with a code from
 * the platform catalogue. Messages the API writes itself are shown; for everything else the
 * client gets the catalogue's summary, so no statement, stack or server detail leaks out.
 */

const statusByCode: Partial<Record<ErrorCode, number>> = {
  INVALID_PARAMETER: 400,
  REQUEST_INVALID: 400,
  DEVICE_UNKNOWN: 404,
  DEVICE_EXISTS: 409,
  API_KEY_TAKEN: 409,
  ALERT_UNKNOWN: 404,
  ALERT_NOT_OPEN: 409,
  ROUTE_UNKNOWN: 404,
  AUTH_REQUIRED: 401,
  AUTH_INVALID: 401,
  ROLE_FORBIDDEN: 403,
  TENANT_FORBIDDEN: 403,
  RATE_LIMITED: 429,
  KEY_UNKNOWN: 404,
  METRIC_NOT_PUBLIC: 404,
  TENANT_LIMIT_REACHED: 409,
  STORE_QUERY_FAILED: 502,
  STORE_AUTH_FAILED: 502,
  STORE_REQUEST_REFUSED: 502,
  STORE_UNAVAILABLE: 503,
  FILE_LOCKED: 503,
  SHUTTING_DOWN: 503,
}

/** Codes whose messages the API writes for the client, as opposed to messages from inside. */
const clientFacingCodes: ReadonlySet<ErrorCode> = new Set([
  'INVALID_PARAMETER',
  'DEVICE_UNKNOWN',
  'DEVICE_EXISTS',
  'API_KEY_TAKEN',
  'ROUTE_UNKNOWN',
  'ALERT_UNKNOWN',
  'ALERT_NOT_OPEN',
  'AUTH_REQUIRED',
  'AUTH_INVALID',
  'ROLE_FORBIDDEN',
  'TENANT_FORBIDDEN',
  'RATE_LIMITED',
  'KEY_UNKNOWN',
  'METRIC_NOT_PUBLIC',
  'TENANT_LIMIT_REACHED',
])

/** Seconds a client should wait before retrying a 503. */
const retryAfterSeconds = 5

/** A query parameter that passed its own schema but not a check across parameters. */
export function invalidParameter(parameter: string, problem: string): PlatformError {
  return new PlatformError('INVALID_PARAMETER', `query parameter "${parameter}": ${problem}`, { parameter })
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const failure = validationFailure(error.validation, error.validationContext)
    return sendError(reply, 400, 'INVALID_PARAMETER', failure.message, failure.parameter)
  }
  if (error instanceof PlatformError) {
    const status = statusByCode[error.code] ?? 500
    if (status >= 500) request.log.warn({ err: error }, 'request failed')
    const message = clientFacingCodes.has(error.code) ? error.message : errorCatalogue[error.code].summary
    const parameter = typeof error.details.parameter === 'string' ? error.details.parameter : undefined
    return sendError(reply, status, error.code, message, parameter, status === 500 ? request.id : undefined)
  }
  // Fastify's own client errors (body too large, bad content type, …) carry a safe message.
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 && error.code?.startsWith('FST_')) {
    return sendError(reply, error.statusCode, 'REQUEST_INVALID', error.message)
  }
  // The client gets only the request id, which finds the logged error with its stack.
  request.log.error({ err: error, correlationId: request.id }, 'unexpected error')
  return sendError(reply, 500, 'INTERNAL', errorCatalogue.INTERNAL.summary, undefined, request.id)
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, 404, 'ROUTE_UNKNOWN', `no endpoint ${request.method} ${request.url.split('?')[0] ?? ''}`)
}

function sendError(reply: FastifyReply, status: number, code: ErrorCode, message: string, parameter?: string, correlationId?: string): FastifyReply {
  const body: ErrorBody = { error: { code, message, ...(parameter !== undefined ? { parameter } : {}), ...(correlationId !== undefined ? { correlationId } : {}) } }
  if (status === 503) reply.header('retry-after', String(retryAfterSeconds))
  return reply.code(status).send(body)
}

interface ValidationIssue {
  readonly instancePath: string
  readonly message?: string
  readonly keyword: string
  readonly params: Record<string, unknown>
}

/** The first problem, named by its parameter: `/from` → `from`, `/field/2` → `field`. */
function validationFailure(issues: readonly ValidationIssue[], context: string | undefined): { parameter: string; message: string } {
  const issue = issues[0] as ValidationIssue
  const where = context === 'params' ? 'path parameter' : context === 'body' ? 'body field' : 'query parameter'
  if (issue.keyword === 'unrecognized_keys' && Array.isArray(issue.params.keys)) {
    const key = String(issue.params.keys[0])
    // Nested in a body: `all.flood`, named by its top-level field.
    const path = [...issue.instancePath.split('/').filter((segment) => segment !== ''), key]
    return { parameter: path[0] as string, message: `unknown ${where} "${path.join('.')}"` }
  }
  const parameter = issue.instancePath.split('/')[1] ?? ''
  // In a nested body the whole path says where, e.g. `kinds.waste_container.fill.threshold`.
  const path = context === 'body' ? issue.instancePath.split('/').filter((segment) => segment !== '').join('.') : parameter
  return { parameter, message: `${where} "${path}": ${issue.message ?? 'is invalid'}` }
}
