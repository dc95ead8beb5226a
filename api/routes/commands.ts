import { randomBytes } from 'node:crypto'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { commandHistory, commandMeasurement, eventOfPoint, type CommandView } from '../../core/commands/command-history.js'
import { commandEvent, commandName, commandPhases, commandRecord, type CommandEvent } from '../../core/commands/device-command.js'
import { identityOf } from '../auth/identity.js'
import { optionalTenantOf, tenantReader } from '../auth/tenant-scope.js'
import type { RouteDeps } from '../deps.js'
import { deviceParams, errorResponses } from '../schemas.js'
import { visibleDevice } from './devices.js'

const dayMs = 86_400_000
const isoTime = z.iso.datetime().describe('ISO 8601, UTC')

const commandBody = z.strictObject({
  command: commandName.describe('Command name, as the device knows it (an IoT Agent command attribute), e.g. `reboot`'),
  value: z.json().optional().describe('The command\'s parameter, any JSON; default none (null)'),
  expiresInSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .default(3600)
    .describe('How long the command may wait for the device to answer; it is `expired` after that (default 3600, at most 7 days)'),
})

const commandView = z.object({
  commandId: z.string(),
  command: z.string(),
  value: z.unknown(),
  state: z.enum(commandPhases).describe('pending: accepted; delivered: the device acknowledged the MQTT message; ok / error: the device answered; expired: no answer in time'),
  issuedAt: isoTime,
  by: z.string(),
  expiresAt: isoTime,
  deliveredAt: isoTime.optional(),
  answeredAt: isoTime.optional(),
  result: z.string().optional().describe('What the device answered'),
  history: z.array(z.object({ phase: z.enum(commandPhases), at: isoTime, late: z.boolean().optional().describe('An answer after the expiry, which changes nothing') })),
})
const commandsQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional().describe('Commands issued from this time; default 7 days before now'),
})

/**
 * `POST /v1/devices/{id}/commands` puts a command on the commands topic, from which a broker
 * instance sends it to the device at QoS 1; `GET` shows the device's commands with what became
 * of them, from the stored command events.
 */
export const commandRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  const bus = deps.commands
  app.get(
    '/v1/devices/:id/commands',
    { schema: { summary: 'Commands sent to a device and what became of them, newest first', tags: ['devices'], params: deviceParams, querystring: commandsQuery, response: { 200: z.object({ deviceId: z.string(), commands: z.array(commandView) }), ...errorResponses(400, 401, 403, 404, 502, 503) } } },
    async (request) => {
      const device = visibleDevice(deps.registry, request.params.id, optionalTenantOf(identityOf(request), undefined))
      const now = Date.now()
      const from = request.query.from !== undefined ? Date.parse(request.query.from) : now - 7 * dayMs
      const points = await tenantReader(deps.store, device.tenant).points({ measurement: commandMeasurement, tags: { device: device.id }, from, to: now + 1, limit: 100_000 })
      const events = points.map(eventOfPoint).filter((e): e is CommandEvent => e !== undefined)
      return { deviceId: device.id, commands: commandHistory(events, now).map(toBody) }
    },
  )
  if (bus === undefined) return
  app.post(
    '/v1/devices/:id/commands',
    { schema: { summary: 'Send a command to a device (QoS 1 on its command topic); its answer is recorded', tags: ['devices'], params: deviceParams, body: commandBody, response: { 202: z.object({ commandId: z.string(), state: z.literal('pending'), expiresAt: isoTime }), ...errorResponses(400, 401, 403, 404, 503) } } },
    async (request, reply) => {
      const caller = identityOf(request)
      const device = visibleDevice(deps.registry, request.params.id, optionalTenantOf(caller, undefined))
      const at = Date.now()
      // Time first, so ids sort by when they were issued.
      const commandId = `${at.toString(36)}-${randomBytes(8).toString('hex')}`
      const expiresAt = at + request.body.expiresInSeconds * 1000
      // Checked as the dispatcher will read it, so nothing accepted here is dropped there.
      const event: CommandEvent = commandEvent.parse({ schema: 'circular.device-command/v1', phase: 'pending', commandId, deviceId: device.id, tenant: device.tenant, site: device.site, name: request.body.command, value: request.body.value ?? null, expiresAt, by: caller.subject.slice(0, 200), registeredAt: device.createdAt, at })
      await bus.publish([commandRecord(deps.config.bus.topics.deviceCommands, event)])
      deps.audit.append({ actor: caller.subject, action: 'device.command', tenant: device.tenant, target: device.id, details: { command: request.body.command, commandId } })
      return reply.code(202).send({ commandId, state: 'pending' as const, expiresAt: new Date(expiresAt).toISOString() })
    },
  )
}

function toBody(c: CommandView): z.infer<typeof commandView> {
  const iso = (t: number): string => new Date(t).toISOString()
  return {
    commandId: c.commandId,
    command: c.name,
    value: c.value,
    state: c.state,
    issuedAt: iso(c.issuedAt),
    by: c.by,
    expiresAt: iso(c.expiresAt),
    ...(c.deliveredAt !== undefined ? { deliveredAt: iso(c.deliveredAt) } : {}),
    ...(c.answeredAt !== undefined ? { answeredAt: iso(c.answeredAt) } : {}),
    ...(c.result !== undefined ? { result: c.result } : {}),
    history: c.history.map((h) => ({ phase: h.phase, at: iso(h.at), ...(h.late ? { late: true } : {}) })),
  }
}
