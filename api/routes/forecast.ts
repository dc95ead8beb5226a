import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { identifier } from '../../core/registry/device.js'
import { identityOf } from '../auth/identity.js'
import { tenantOf, tenantReader } from '../auth/tenant-scope.js'
import type { ApiDeps } from '../deps.js'
import { errorResponses } from '../schemas.js'

const dayMs = 86_400_000

export const forecastQuery = z.strictObject({
  tenant: identifier.optional().describe('Tenant (city): the caller\'s own by default; a platform key must name one'),
  site: identifier.optional().describe('Only containers at this site'),
  withinDays: z.coerce.number().int().min(1).max(366).default(30).describe('Only containers heard from in this many days'),
})

const forecastBody = z.object({
  tenant: z.string(),
  containers: z.array(
    z.object({
      deviceId: z.string(),
      site: z.string(),
      fraction: z.string().optional(),
      fillLevel: z.number().describe('ratio 0–1'),
      fillRatePerDay: z.number().optional().describe('ratio per day, least-squares slope since the last emptying'),
      timeToFullHours: z.number().optional().describe('hours until the container reaches its full threshold'),
      forecastFullAt: z.string().optional(),
      observedAt: z.string(),
    }),
  ),
})

/** `GET /v1/containers/forecast` (M16): each container's newest forecast, the soonest full first. */
export const forecastRoutes: FastifyPluginAsyncZod<ApiDeps> = async (app, deps) => {
  app.get(
    '/v1/containers/forecast',
    { schema: { summary: 'Time-to-full of every container, soonest first', tags: ['footprint'], querystring: forecastQuery, response: { 200: forecastBody, ...errorResponses(400, 401, 403, 502, 503) } } },
    async (request) => {
      const { site, withinDays } = request.query
      const tenant = tenantOf(identityOf(request), request.query.tenant)
      const now = Date.now()
      const points = await tenantReader(deps.store, tenant).points({ measurement: 'container_forecast', tags: { ...(site ? { site } : {}) }, from: now - withinDays * dayMs, to: now + 1, limit: 100_000 })
      const newest = new Map<string, (typeof points)[number]>()
      for (const p of points) {
        const device = p.tags.device ?? ''
        if ((newest.get(device)?.time ?? -Infinity) < p.time) newest.set(device, p)
      }
      const containers = [...newest.values()].map((p) => {
        const num = (field: string): number | undefined => (typeof p.fields[field] === 'number' ? p.fields[field] : undefined)
        const fullAt = num('forecast_full_at')
        return {
          deviceId: p.tags.device ?? '',
          site: p.tags.site ?? '',
          ...(p.tags.fraction ? { fraction: p.tags.fraction } : {}),
          fillLevel: num('fill_level') ?? 0,
          ...(num('fill_rate_per_day') !== undefined ? { fillRatePerDay: num('fill_rate_per_day') } : {}),
          ...(num('time_to_full_h') !== undefined ? { timeToFullHours: num('time_to_full_h') } : {}),
          ...(fullAt !== undefined ? { forecastFullAt: new Date(fullAt).toISOString() } : {}),
          observedAt: new Date(p.time).toISOString(),
        }
      })
      // Soonest full first; containers without a forecast yet go last.
      containers.sort((a, b) => (a.forecastFullAt ?? '\uffff').localeCompare(b.forecastFullAt ?? '\uffff') || a.deviceId.localeCompare(b.deviceId))
      return { tenant, containers }
    },
  )
}
