import fastifySwagger from '@fastify/swagger'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Config } from '../core/config.js'
import type { ApiDeps } from './deps.js'
import { errorHandler, notFoundHandler } from './errors.js'
import { registerDeviceRoutes } from './routes/devices.js'
import { registerHealthRoutes } from './routes/health.js'
import { registerMetricsRoutes } from './routes/metrics.js'
import { registerFootprintRoutes, registerSiteKpiRoutes } from './routes/footprint.js'
import { registerForecastRoutes } from './routes/forecast.js'
import { registerAlertRoutes } from './routes/alerts.js'
import { loadFactorSets } from '../models/factors/factor-sets.js'

/** Request bodies are small commands (an acknowledgement). */
const bodyLimitBytes = 4 * 1024

/**
 * The HTTP API, ready for `inject()` or `listen()`. It does not listen by itself and owns none
 * of its dependencies: closing the app leaves the store and the registry open.
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = deps.logger
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: bodyLimitBytes,
    // Device ids may be 128 characters; the router's default cut-off is 100.
    routerOptions: { maxParamLength: 256 },
  }).withTypeProvider<ZodTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler(notFoundHandler)
  app.addHook('onSend', async (_request, reply) => {
    // Readings change all the time, and device lists are per tenant: nothing may be cached.
    reply.header('cache-control', 'no-store')
    reply.header('x-content-type-options', 'nosniff')
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
      info: { title: 'circular', description: 'Read API of the circular telemetry platform: devices and their stored readings.', version: '1.0.0' },
    },
    transform: jsonSchemaTransform,
  })
  // Registered after the swagger plugin so that it sees every route.
  await app.register(async (scope) => {
    const api = scope.withTypeProvider<ZodTypeProvider>()
    api.get('/openapi.json', { schema: { hide: true } }, async () => scope.swagger())
    registerHealthRoutes(api, deps)
    registerDeviceRoutes(api, deps)
    if (deps.pipelineCounters) registerMetricsRoutes(api, deps.pipelineCounters)
    const factorSets = loadFactorSets(deps.config.footprint.factorSetsDir)
    registerFootprintRoutes(api, deps, factorSets)
    registerSiteKpiRoutes(api, deps, factorSets)
    registerForecastRoutes(api, deps)
    registerAlertRoutes(api, deps)
  })
  return app
}

/** Listens on `config.api` and returns the address, e.g. `http://127.0.0.1:8080`; stop with `app.close()`. */
export async function startApi(app: FastifyInstance, config: Config['api']): Promise<string> {
  return app.listen({ host: config.host, port: config.port })
}
