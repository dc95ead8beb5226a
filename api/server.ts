import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import fastifyHelmet from '@fastify/helmet'
import fastifyRateLimit from '@fastify/rate-limit'
import fastifySwagger from '@fastify/swagger'
import Fastify, { type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Config } from '../core/config.js'
import { PlatformError } from '../models/errors.js'
import { FileApiKeys } from '../core/registry/api-keys.js'
import { AuditLog } from '../core/registry/audit-log.js'
import { TenantPolicies } from '../core/registry/tenants.js'
import { accessControl } from './auth/access-control.js'
import { jwtVerifier } from './auth/jwt-verifier.js'
import type { ApiDeps, RouteDeps, ZodScope } from './deps.js'
import { errorHandler, notFoundHandler } from './errors.js'
import { adminKeyRoutes } from './routes/admin-keys.js'
import { auditRoutes } from './routes/audit.js'
import { commandRoutes } from './routes/commands.js'
import { deviceRoutes } from './routes/devices.js'
import { healthRoutes } from './routes/health.js'
import { metricsRoutes } from './routes/metrics.js'
import { footprintRoutes, siteKpiRoutes } from './routes/footprint.js'
import { forecastRoutes } from './routes/forecast.js'
import { alertRoutes } from './routes/alerts.js'
import { openDataRoutes } from './routes/open-data.js'
import { webRoutes } from './routes/web.js'
import { loadFactorSets } from '../models/factors/factor-sets.js'

/** Request bodies are small commands (an acknowledgement, a key to create). */
const bodyLimitBytes = 4 * 1024

/**
 * The HTTP API, ready for `inject()` or `listen()`. It does not listen by itself and owns none
 * of its dependencies: closing the app leaves the store and the registry open.
 */
export async function buildApi(apiDeps: ApiDeps): Promise<ZodScope> {
  const config = apiDeps.config
  const deps: RouteDeps = {
    ...apiDeps,
    keys: apiDeps.keys ?? new FileApiKeys(config.auth.apiKeysFile),
    audit: apiDeps.audit ?? new AuditLog(config.auth.auditLogFile),
    tenants: apiDeps.tenants ?? new TenantPolicies(config.auth.tenantsFile, config.mqtt.maxPayloadBytes),
  }
  const logger: FastifyBaseLogger = deps.logger
  const tls = config.api.tls
  // `https: null` (no TLS configured) makes a plain HTTP server. Typed as one either way: an HTTPS server is one too.
  const app: ZodScope = Fastify({
    loggerInstance: logger,
    bodyLimit: bodyLimitBytes,
    // Device ids may be 128 characters; the router's default cut-off is 100.
    routerOptions: { maxParamLength: 256 },
    // Unguessable ids, never taken from the client: they are what a 500 answer quotes.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    https: tls ? { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) } : null,
  }).withTypeProvider<ZodTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  // First, so that its hooks run before the rate limiter's and see every route registered below.
  await app.register(accessControl, { keys: deps.keys, ...(config.auth.oidc ? { jwt: jwtVerifier(config.auth.oidc) } : {}) })
  await app.register(fastifyHelmet, { global: true })
  await app.register(fastifyRateLimit, {
    global: true,
    max: config.api.rateLimitPerMinute,
    timeWindow: 60_000,
    // Per verified caller; anyone else (including a caller with refused credentials) per address.
    keyGenerator: (request) => request.identity?.subject ?? `ip:${request.ip}`,
    errorResponseBuilder: (_request, context) => new PlatformError('RATE_LIMITED', `too many requests: at most ${context.max} per minute; retry in ${context.after}`),
  })
  app.addHook('onSend', async (request, reply) => {
    // Readings change all the time, and device lists are per tenant: nothing may be cached.
    reply.header('cache-control', 'no-store')
    reply.header('x-request-id', request.id)
  })
  const counters = deps.counters
  if (counters !== undefined) {
    app.addHook('onResponse', async (_request: FastifyRequest, reply: FastifyReply) => {
      counters.add('requests')
      if (reply.statusCode >= 500) counters.add('server_errors')
      else if (reply.statusCode >= 400) counters.add('client_errors')
    })
  }

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'circular', description: 'API of the circular telemetry platform: devices, readings, footprint metrics, alerts, open data and API keys.', version: '1.0.0' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key (`ck_…`) or an OIDC access token' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  })
  // Every route after the swagger plugin, so that it sees them all; each module in a scope of its own.
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  const factorSets = loadFactorSets(config.footprint.factorSetsDir)
  await app.register(healthRoutes, deps)
  await app.register(deviceRoutes, deps)
  await app.register(commandRoutes, deps)
  if (deps.pipelineCounters) await app.register(metricsRoutes, { counters: deps.pipelineCounters })
  await app.register(footprintRoutes, { ...deps, factorSets })
  await app.register(siteKpiRoutes, { ...deps, factorSets })
  await app.register(forecastRoutes, deps)
  await app.register(alertRoutes, deps)
  await app.register(openDataRoutes, { ...deps, factorSets })
  await app.register(adminKeyRoutes, deps)
  await app.register(auditRoutes, deps)
  await app.register(webRoutes)
  return app
}

/** Listens on `config.api` and returns the address, e.g. `https://127.0.0.1:8080`; stop with `app.close()`. */
export async function startApi(app: ZodScope, config: Pick<Config['api'], 'host' | 'port'>): Promise<string> {
  return app.listen({ host: config.host, port: config.port })
}
