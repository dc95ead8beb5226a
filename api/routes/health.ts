import type { ApiDeps, ZodScope } from '../deps.js'
import { healthBody } from '../schemas.js'

/** A probe slower than this counts as unreachable, so `/health` answers in bounded time. */
const probeTimeoutMs = 3000

export function registerHealthRoutes(app: ZodScope, deps: ApiDeps): void {
  app.get(
    '/health',
    { schema: { summary: 'Whether Kafka and InfluxDB are reachable', tags: ['health'], response: { 200: healthBody, 503: healthBody } } },
    async (_request, reply) => {
      const [kafka, influxdb] = await Promise.all([probe(() => deps.health.kafka()), probe(() => deps.store.ping())])
      const ok = kafka && influxdb
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', kafka: { reachable: kafka }, influxdb: { reachable: influxdb } })
    },
  )
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
