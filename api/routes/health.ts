import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Config } from '../../core/config.js'
import type { ApiDeps } from '../deps.js'
import { healthBody } from '../schemas.js'

/** A probe slower than this counts as unreachable, so `/health` answers in bounded time. */
const probeTimeoutMs = 3000

export type HealthRouteOptions = Pick<ApiDeps, 'config' | 'store' | 'health'>

/** `GET /health`: whether the backends in use answer, each named after what it is. */
export const healthRoutes: FastifyPluginAsyncZod<HealthRouteOptions> = async (app, deps) => {
  app.get(
    '/health',
    { schema: { summary: 'Whether the bus and the store in use (Kafka or the embedded bus, InfluxDB or the embedded store) are reachable, and which consumer groups make no progress', tags: ['health'], response: { 200: healthBody, 503: healthBody } } },
    async (_request, reply) => {
      const [bus, store] = await Promise.all([probe(() => deps.health.bus()), probe(() => deps.store.ping())])
      const stalledGroups = deps.health.stalledGroups?.() ?? []
      const reachable = bus && store
      // A stalled processor leaves the API able to answer: degraded, but 200, so that a load balancer keeps it.
      return reply.code(reachable ? 200 : 503).send({
        status: reachable && stalledGroups.length === 0 ? 'ok' : 'degraded',
        [busName(deps.config.bus)]: { reachable: bus },
        [storeName(deps.config.store)]: { reachable: store },
        ...(stalledGroups.length > 0 ? { stalledGroups: [...stalledGroups] } : {}),
      })
    },
  )
}

function busName(bus: Config['bus']): 'kafka' | 'embeddedBus' {
  return bus.kind === 'kafka' ? 'kafka' : 'embeddedBus'
}

function storeName(store: Config['store']): 'influxdb' | 'embeddedStore' {
  return store.kind === 'influxdb' ? 'influxdb' : 'embeddedStore'
}

/** A probe that throws or hangs reports unreachable instead of failing the endpoint. */
async function probe(check: () => Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), probeTimeoutMs)
  })
  try {
    return await Promise.race([check().then((reachable) => reachable === true, () => false), timeout])
  } finally {
    clearTimeout(timer)
  }
}
