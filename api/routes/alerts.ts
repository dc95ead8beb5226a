import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { PlatformError } from '../../models/errors.js'
import { identifier } from '../../core/registry/device.js'
import { alertCommandRecord } from '../../core/alerts/alert-command.js'
import { alertsFromPoints, type AlertView } from '../../core/alerts/alert-history.js'
import { deliveriesOf, type DeliveryView } from '../../core/alerts/delivery-history.js'
import { firedAtOf } from '../../core/alerts/alert-id.js'
import { ruleNames } from '../../core/alerts/rule-settings.js'
import { identityOf } from '../auth/identity.js'
import { optionalTenantOf, tenantOf, tenantReader, type StoreReader } from '../auth/tenant-scope.js'
import type { ApiDeps, RouteDeps } from '../deps.js'
import { invalidParameter } from '../errors.js'
import { errorResponses } from '../schemas.js'
import { alertRuleRoutes } from './alert-rules.js'

const dayMs = 86_400_000
const isoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-15T08:00:00Z' })
const phase = z.enum(['firing', 'acknowledged', 'resolved'])

const alertsQuery = z.strictObject({
  tenant: identifier.optional().describe('Tenant (city): the caller\'s own by default; a platform key must name one'),
  state: phase.optional().describe('Only alerts in this state'),
  site: identifier.optional().describe('Only alerts of devices at this site'),
  rule: z.enum(ruleNames).optional().describe('Only alerts of this rule'),
  from: isoDateTime.optional().describe('Only alerts fired at or after this time; default 30 days before `to`'),
  to: isoDateTime.optional().describe('Only alerts fired before this time; default now'),
})

const alertParams = z.strictObject({ id: z.string().regex(/^[0-9a-z]{1,12}-[0-9a-f]{16}$/, 'must be an alert id').describe('Alert id') })
const ackBody = z.strictObject({ by: z.string().min(1).max(200).describe('Who acknowledges: an operator or a service') })

const isoTime = z.iso.datetime().describe('ISO 8601, UTC')
const alertBody = z.object({
  alertId: z.string(),
  rule: z.string(),
  tenant: z.string(),
  site: z.string(),
  deviceId: z.string(),
  kind: z.string(),
  state: phase,
  firedAt: isoTime,
  value: z.union([z.number(), z.string()]).optional(),
  reason: z.string().optional(),
  history: z.array(z.object({ phase, at: isoTime, reason: z.string().optional() })),
})
const deliveryBody = z.object({
  channel: z.enum(['webhook', 'open311']),
  subscriber: z.string().describe('Webhook or Open311 endpoint id from the rules file'),
  phase,
  status: z.enum(['pending', 'sending', 'delivered', 'dead']).describe('`sending`: a service request may have been filed and is being looked up; `dead`: dead-lettered'),
  attempts: z.number().int(),
  lastAttemptAt: isoTime.optional(),
  lastHttpStatus: z.number().int().optional(),
  lastError: z.string().optional(),
  deliveredAt: isoTime.optional(),
  serviceRequestId: z.string().optional().describe('Open311 service_request_id'),
  token: z.string().optional().describe('Open311 token, until the server assigns an id'),
  closed: z.boolean().optional().describe('Open311: the service closed the request'),
})
const alertWithDeliveries = alertBody.extend({ deliveries: z.array(deliveryBody).describe('Delivery of each transition to each subscriber, as the notifier last recorded it') })
const alertsBody = z.object({ tenant: z.string(), from: isoTime, to: isoTime, alerts: z.array(alertBody) })
const ackAccepted = z.object({ alertId: z.string(), accepted: z.literal(true).describe('The acknowledgement is on its way to the alerts processor; the alert shows it once applied') })

/**
 * `GET /v1/alerts`, `GET /v1/alerts/{id}` from the stored alert history, and
 * `POST /v1/alerts/{id}/ack`, which hands the acknowledgement to the alerts processor as a
 * command keyed by device, so it is applied in order with the device's readings; and the
 * tenant's alert rules (`alert-rules.ts`).
 */
export const alertRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  const commands = deps.commands
  // Awaited so that the rules routes are registered first, as the OpenAPI document lists them.
  await app.register(alertRuleRoutes, deps)
  app.get(
    '/v1/alerts',
    { schema: { summary: 'Alerts fired in a time range, newest first', tags: ['alerts'], querystring: alertsQuery, response: { 200: alertsBody, ...errorResponses(400, 401, 403, 502, 503) } } },
    async (request) => {
      const { site, rule, state } = request.query
      const tenant = tenantOf(identityOf(request), request.query.tenant)
      const now = Date.now()
      const to = request.query.to === undefined ? now : Date.parse(request.query.to)
      const from = request.query.from === undefined ? to - 30 * dayMs : Date.parse(request.query.from)
      if (to <= from) throw invalidParameter('to', 'must be later than "from"')
      if (to - from > 366 * dayMs) throw invalidParameter('from', 'must be at most 366 days before "to"')
      // Transitions after `to` still tell the current state of an alert fired before it.
      const points = await tenantReader(deps.store, tenant).points({ measurement: 'alerts', tags: { ...(site ? { site } : {}), ...(rule ? { rule } : {}) }, from, to: Math.max(to, now) + 1, limit: 100_000 })
      const alerts = alertsFromPoints(points).filter((a) => a.firedAt >= from && a.firedAt < to && (state === undefined || a.state === state))
      return { tenant, from: new Date(from).toISOString(), to: new Date(to).toISOString(), alerts: alerts.map(toBody) }
    },
  )

  app.get(
    '/v1/alerts/:id',
    { schema: { summary: 'One alert with its transitions and delivery attempts', tags: ['alerts'], params: alertParams, response: { 200: alertWithDeliveries, ...errorResponses(400, 401, 403, 404, 502, 503) } } },
    async (request) => {
      const reader = callerReader(deps, request)
      const alert = await findAlert(reader, request.params.id)
      return { ...toBody(alert), deliveries: (await deliveriesOf(reader, alert)).map(deliveryToBody) }
    },
  )

  if (commands === undefined) return
  app.post(
    '/v1/alerts/:id/ack',
    { schema: { summary: 'Acknowledge a firing alert', tags: ['alerts'], params: alertParams, body: ackBody, response: { 202: ackAccepted, ...errorResponses(400, 401, 403, 404, 409, 502, 503) } } },
    async (request, reply) => {
      const alert = await findAlert(callerReader(deps, request), request.params.id)
      if (alert.state === 'resolved') throw new PlatformError('ALERT_NOT_OPEN', `alert ${alert.alertId} is resolved; only an open alert can be acknowledged`, { alertId: alert.alertId })
      const rule = z.enum(ruleNames).parse(alert.rule)
      await commands.publish([
        alertCommandRecord(deps.config.alerts.topics.commands, { schema: 'circular.alert-command/v1', command: 'ack', alertId: alert.alertId, rule, deviceId: alert.deviceId, by: request.body.by, at: Date.now() }),
      ])
      return reply.code(202).send({ alertId: alert.alertId, accepted: true as const })
    },
  )
}

/** The store as the caller may read it: its own tenant's series, or every tenant's for a platform admin. */
function callerReader(deps: ApiDeps, request: Parameters<typeof identityOf>[0]): StoreReader {
  return tenantReader(deps.store, optionalTenantOf(identityOf(request), undefined))
}

async function findAlert(reader: StoreReader, id: string): Promise<AlertView> {
  const firedAt = firedAtOf(id)
  const alert =
    firedAt === undefined ? undefined : alertsFromPoints(await reader.points({ measurement: 'alerts', tags: {}, from: firedAt, to: Math.max(Date.now(), firedAt) + 1, limit: 100_000 })).find((a) => a.alertId === id)
  if (!alert) throw new PlatformError('ALERT_UNKNOWN', `no alert ${id}`, { alertId: id })
  return alert
}

function toBody(alert: AlertView): z.infer<typeof alertBody> {
  return {
    ...alert,
    firedAt: new Date(alert.firedAt).toISOString(),
    history: alert.history.map((h) => ({ ...h, at: new Date(h.at).toISOString() })),
  }
}

function deliveryToBody(d: DeliveryView): z.infer<typeof deliveryBody> {
  const { lastAttemptAt, deliveredAt, ...rest } = d
  return { ...rest, ...(lastAttemptAt !== undefined ? { lastAttemptAt: new Date(lastAttemptAt).toISOString() } : {}), ...(deliveredAt !== undefined ? { deliveredAt: new Date(deliveredAt).toISOString() } : {}) }
}
