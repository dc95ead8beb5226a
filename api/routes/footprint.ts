import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { identifier } from '../../core/registry/device.js'
import type { Point } from '../../core/store/store.js'
import type { FactorSet } from '../../models/factors/factor-set.js'
import { newestVersion } from '../../models/factors/factor-sets.js'
import { identityOf } from '../auth/identity.js'
import { tenantOf, tenantReader, type StoreReader } from '../auth/tenant-scope.js'
import type { ApiDeps } from '../deps.js'
import { invalidParameter } from '../errors.js'
import { allMetrics, metricIds, type MetricDefinition } from '../footprint/metric-catalogue.js'
import { errorResponses } from '../schemas.js'
import { readingsRange } from '../time-range.js'
import type { Interval } from '../../models/windows.js'

const isoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-15T08:00:00Z' })

export const footprintQuery = z.strictObject({
  metric: z.enum(metricIds).describe(allMetrics.map((m) => `${m.id} (${m.catalogue}, ${m.unit}): ${m.summary}`).join('\n')),
  tenant: identifier.optional().describe('Tenant (city): the caller\'s own by default; a platform key must name one'),
  site: identifier.optional().describe('Only this site; default all sites of the tenant'),
  from: isoDateTime.optional().describe('Start, inclusive; default 24 hours before `to`'),
  to: isoDateTime.optional().describe('End, exclusive; default now'),
  interval: z.enum(['hour', 'day', 'month']).default('day').describe('Window of each row (UTC)'),
  factorSet: z.string().regex(/^\d{4}\.\d+$/, 'must be a factor-set version such as 2025.1').optional().describe('Emission factor set; default the newest'),
  format: z.enum(['json', 'csv']).default('json'),
})

export const footprintBody = z.object({
  metric: z.string(),
  catalogue: z.string(),
  summary: z.string(),
  unit: z.string(),
  interval: z.enum(['hour', 'day', 'month']),
  tenant: z.string(),
  site: z.string().optional(),
  from: z.string(),
  to: z.string(),
  indicative: z.boolean(),
  factorSet: z.object({ version: z.string(), description: z.string(), country: z.string() }).nullable(),
  targets: z.array(z.object({ year: z.number(), value: z.number(), source: z.string() })),
  basis: z.object({ rollupPoints: z.number(), devices: z.number() }).describe('What the values rest on: how many stored rollup points from how many devices'),
  rows: z.array(z.object({ time: z.string(), dims: z.record(z.string(), z.string()), value: z.number() })),
})

export const siteKpisQuery = z.strictObject({
  tenant: identifier.optional().describe('Tenant (city): the caller\'s own by default; a platform key must name one'),
  from: isoDateTime.optional().describe('Start, inclusive; default 24 hours before `to`'),
  to: isoDateTime.optional().describe('End, exclusive; default now'),
  interval: z.enum(['day', 'month']).default('month'),
  factorSet: z.string().regex(/^\d{4}\.\d+$/, 'must be a factor-set version such as 2025.1').optional(),
})

/** What the footprint routes read: the store, the config and the emission factor sets by version. */
export interface FootprintRouteOptions extends ApiDeps {
  readonly factorSets: ReadonlyMap<string, FactorSet>
}

/**
 * `GET /v1/footprint`: a footprint metric per window, computed from the stored rollups and, for
 * CO2e, the factor set asked for, so a new factor set applies to past periods at once.
 */
export const footprintRoutes: FastifyPluginAsyncZod<FootprintRouteOptions> = async (app, deps) => {
  const factorSets = deps.factorSets
  app.get(
    '/v1/footprint',
    {
      schema: {
        summary: 'A footprint metric over time, with its unit, factor set and basis (JSON or CSV)',
        tags: ['footprint'],
        querystring: footprintQuery,
        response: { 200: footprintBody, ...errorResponses(400, 401, 403, 502, 503) },
      },
    },
    async (request, reply) => {
      const q = request.query
      const tenant = tenantOf(identityOf(request), q.tenant)
      const metric = allMetrics.find((m) => m.id === q.metric) as MetricDefinition
      const range = readingsRange(q.from, q.to, Date.now())
      const body = await computeMetric(deps, tenantReader(deps.store, tenant), factorSets, metric, { ...q, ...range, tenant })
      if (q.format === 'csv') return reply.type('text/csv; charset=utf-8').serializer((payload: unknown) => String(payload)).send(toCsv(body) as never)
      return body
    },
  )
}

export interface MetricRequest {
  readonly tenant: string
  readonly site?: string
  readonly from: number
  readonly to: number
  readonly interval: Interval
  readonly factorSet?: string
}

/** Reads a metric's rollups and computes it, with everything a reader needs to trust the figures. */
export async function computeMetric(
  deps: ApiDeps,
  reader: StoreReader,
  factorSets: ReadonlyMap<string, FactorSet>,
  metric: MetricDefinition,
  q: MetricRequest,
): Promise<z.infer<typeof footprintBody>> {
  const version = q.factorSet ?? newestVersion(factorSets)
  const factors = factorSets.get(version)
  if (!factors) throw invalidParameter('factorSet', `is not a known factor set; known: ${[...factorSets.keys()].join(', ')}`)
  const points: Point[] = await reader.points({
    measurement: metric.measurement,
    tags: { tenant: q.tenant, interval: metric.fromHourly ? 'hour' : q.interval, ...(q.site !== undefined ? { site: q.site } : {}) },
    from: q.from - (metric.lookbackMs ?? 0),
    to: q.to,
    limit: 100_000,
  })
  const country = deps.config.footprint.defaultCountry
  const rows = metric.compute(points, { factors, country, interval: q.interval, from: q.from }).map((r) => ({ time: new Date(r.time).toISOString(), dims: { ...r.dims }, value: r.value }))
  return {
    metric: metric.id,
    catalogue: metric.catalogue,
    summary: metric.summary,
    unit: metric.unit,
    interval: q.interval,
    tenant: q.tenant,
    ...(q.site !== undefined ? { site: q.site } : {}),
    from: new Date(q.from).toISOString(),
    to: new Date(q.to).toISOString(),
    indicative: metric.indicative === true,
    factorSet: metric.usesFactors ? { version, description: factors.description, country } : null,
    targets: [...(metric.targets ?? [])],
    basis: { rollupPoints: points.length, devices: new Set(points.map((p) => p.tags.device)).size },
    rows,
  }
}

/** `GET /v1/sites/:id/kpis`: every footprint metric of one site over a range, per day or month. */
export const siteKpiRoutes: FastifyPluginAsyncZod<FootprintRouteOptions> = async (app, deps) => {
  const factorSets = deps.factorSets
  app.get(
    '/v1/sites/:id/kpis',
    {
      schema: {
        summary: 'All footprint metrics of a site, each with unit, factor set and basis',
        tags: ['footprint'],
        params: z.strictObject({ id: identifier.describe('Site id as registered on devices') }),
        querystring: siteKpisQuery,
        response: { 200: z.object({ site: z.string(), tenant: z.string(), kpis: z.array(footprintBody) }), ...errorResponses(400, 401, 403, 502, 503) },
      },
    },
    async (request) => {
      const q = request.query
      const tenant = tenantOf(identityOf(request), q.tenant)
      const range = readingsRange(q.from, q.to, Date.now())
      const metrics = allMetrics.filter((m) => !m.fromHourly)
      const reader = tenantReader(deps.store, tenant)
      const kpis = await Promise.all(metrics.map((m) => computeMetric(deps, reader, factorSets, m, { ...q, ...range, tenant, site: request.params.id })))
      return { site: request.params.id, tenant, kpis }
    },
  )
}

/** One line per row: time, each dimension, value; provenance in comment lines on top. */
function toCsv(body: { metric: string; unit: string; factorSet: { version: string } | null; rows: { time: string; dims: Record<string, string>; value: number }[] }): string {
  const dims = [...new Set(body.rows.flatMap((r) => Object.keys(r.dims)))].sort()
  const lines = [`# metric=${body.metric} unit=${body.unit}${body.factorSet ? ` factorSet=${body.factorSet.version}` : ''}`, ['time', ...dims, 'value'].join(',')]
  for (const r of body.rows) lines.push([r.time, ...dims.map((d) => csvCell(r.dims[d] ?? '')), String(r.value)].join(','))
  return lines.join('\n') + '\n'
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}
