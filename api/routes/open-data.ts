import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { PlatformError } from '../../models/errors.js'
import { identifier } from '../../core/registry/device.js'
import { tenantReader } from '../auth/tenant-scope.js'
import type { RouteDeps } from '../deps.js'
import { allMetrics, type MetricDefinition } from '../footprint/metric-catalogue.js'
import { errorResponses } from '../schemas.js'
import { readingsRange } from '../time-range.js'
import { computeMetric, footprintBody, type FootprintRouteOptions } from './footprint.js'

/** Metrics whose rows are per device: never open data, whatever a policy lists. */
const perDeviceMetrics: ReadonlySet<string> = new Set(['telemetry_completeness'])

const isoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-15T08:00:00Z' })
const tenantParams = z.strictObject({ tenant: identifier.describe('Tenant (city) publishing the data') })

const openFootprintQuery = z.strictObject({
  metric: z.string().regex(/^[a-z0-9_]{1,64}$/, 'must be a metric id such as recycling_rate').describe('A metric the tenant publishes (see /v1/open/{tenant}/metrics)'),
  from: isoDateTime.optional().describe('Start, inclusive; default 24 hours before `to`'),
  to: isoDateTime.optional().describe('End, exclusive; default now'),
  interval: z.enum(['day', 'month']).default('month').describe('Window of each row (UTC); open data is never finer than a day'),
  factorSet: z.string().regex(/^\d{4}\.\d+$/, 'must be a factor-set version such as 2025.1').optional(),
})

const openMetricsBody = z.object({ tenant: z.string(), metrics: z.array(z.object({ id: z.string(), catalogue: z.string(), summary: z.string(), unit: z.string() })) })

export type OpenDataRouteOptions = RouteDeps & Pick<FootprintRouteOptions, 'factorSets'>

/**
 * Open data: the footprint metrics a tenant's policy (`TENANTS_FILE`) marks public, without a
 * key, tenant-wide and per day or month only. Raw readings, device lists and anything per device
 * are never served here. A metric that is not public is answered like one that does not exist.
 */
export const openDataRoutes: FastifyPluginAsyncZod<OpenDataRouteOptions> = async (app, deps) => {
  const factorSets = deps.factorSets
  app.get(
    '/v1/open/:tenant/metrics',
    { schema: { summary: 'The metrics a tenant publishes as open data', tags: ['open data'], security: [], params: tenantParams, response: { 200: openMetricsBody, ...errorResponses(400) } } },
    async (request) => {
      const { tenant } = request.params
      return { tenant, metrics: publicMetrics(deps, tenant).map((m) => ({ id: m.id, catalogue: m.catalogue, summary: m.summary, unit: m.unit })) }
    },
  )

  app.get(
    '/v1/open/:tenant/footprint',
    {
      schema: {
        summary: 'A public footprint metric of a tenant, aggregated over all its sites',
        tags: ['open data'],
        security: [],
        params: tenantParams,
        querystring: openFootprintQuery,
        response: { 200: footprintBody, ...errorResponses(400, 404, 502, 503) },
      },
    },
    async (request) => {
      const { tenant } = request.params
      const q = request.query
      const metric = publicMetrics(deps, tenant).find((m) => m.id === q.metric)
      if (!metric) throw new PlatformError('METRIC_NOT_PUBLIC', `tenant "${tenant}" publishes no metric "${q.metric}"`, { parameter: 'metric' })
      const range = readingsRange(q.from, q.to, Date.now())
      const body = await computeMetric(deps, tenantReader(deps.store, tenant), factorSets, metric, { ...q, ...range, tenant })
      // Aggregates only: a row split by device would describe one device.
      return { ...body, rows: body.rows.filter((row) => row.dims.device === undefined) }
    },
  )
}

function publicMetrics(deps: RouteDeps, tenant: string): MetricDefinition[] {
  const listed = new Set(deps.tenants.publicMetrics(tenant))
  return allMetrics.filter((m) => listed.has(m.id) && !perDeviceMetrics.has(m.id))
}
