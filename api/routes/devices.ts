import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { PlatformError } from '../../models/errors.js'
import { device as deviceSchema, identifier, publicView, type Device } from '../../core/registry/device.js'
import { deviceRegistration, mqttCredentials, registerDevice, revokeDevice } from '../../core/registry/device-registration.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import type { DeviceRegistry } from '../../core/registry/registry.js'
import type { SeriesSelector, StoredValue } from '../../core/store/store.js'
import { identityOf } from '../auth/identity.js'
import { optionalTenantOf, tenantReader } from '../auth/tenant-scope.js'
import type { RouteDeps } from '../deps.js'
import { devicesBody, deviceParams, devicesQuery, errorResponses, latestBody, readingsBody, readingsQuery } from '../schemas.js'
import { storedMeasurements, unitOf } from '../stored-fields.js'
import { readingsRange } from '../time-range.js'
import { connectionReasons, connectionStates, deviceStatusFields, deviceStatusMeasurement } from '../../models/device-status.js'

const statusQuery = readingsQuery.pick({ from: true, to: true, limit: true })
const isoDate = z.iso.datetime().describe('ISO 8601, UTC')
const statusEntry = z.object({
  time: isoDate,
  connection: z.enum(connectionStates).optional().describe('The broker\'s word: a session began (online) or ended (offline)'),
  reason: z.enum(connectionReasons).optional(),
  detail: z.string().optional(),
  session: z.string().optional().describe('<broker>:<client id>:<connected at>'),
  reported: z.string().optional().describe('What the device said on its status topic, or in its Last Will'),
})
const statusBody = z.object({
  deviceId: z.string(),
  from: isoDate,
  to: isoDate,
  connection: z.enum(connectionStates).optional().describe('As of the newest connection event in the range'),
  events: z.array(statusEntry).describe('Oldest first'),
})

/** The registration of `circular devices add`; the tenant defaults to the caller's own. */
const registerBody = deviceRegistration.extend({
  tenant: identifier.optional().describe('Tenant the device belongs to: the caller\'s own by default; a platform key must name one'),
})

const registeredBody = z.object({
  device: deviceSchema.omit({ secretHash: true }),
  credentials: z.object({
    deviceId: z.string(),
    username: z.string().describe('MQTT user name: the device id'),
    clientId: z.string().describe('MQTT client id: the device id, or starting with "<device id>:"'),
    secret: z.string().describe('MQTT password; only its hash is stored, so it cannot be shown again'),
    topics: z.record(z.string(), z.string()).describe('Where the device publishes, per format'),
  }),
})

/** `/v1/devices`: register, revoke and list devices, and read a device's stored values. */
export const deviceRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  // The API's own registry when it can write, so a device it registers is listed at once.
  const registry = deps.registry instanceof FileRegistry ? deps.registry : new FileRegistry(deps.config.registryFile)
  const registration = { registry, tenants: deps.tenants, audit: deps.audit }

  app.post(
    '/v1/devices',
    {
      schema: {
        summary: 'Register a device; its MQTT secret is in this answer only',
        tags: ['devices'],
        body: registerBody,
        response: { 201: registeredBody, ...errorResponses(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const caller = identityOf(request)
      const tenant = optionalTenantOf(caller, request.body.tenant)
      if (tenant === undefined) throw new PlatformError('INVALID_PARAMETER', 'body field "tenant": is required with a platform key: name the tenant the device belongs to', { parameter: 'tenant' })
      const { device, secret } = await registerDevice(registration, { ...request.body, tenant }, caller.subject)
      return reply.code(201).send({ device: publicView(device), credentials: mqttCredentials(device, secret) })
    },
  )

  app.delete(
    '/v1/devices/:id',
    {
      schema: {
        summary: 'Revoke a device: it can no longer connect, and a connection it holds is closed',
        tags: ['devices'],
        params: deviceParams,
        response: { 200: z.object({ device: deviceSchema.omit({ secretHash: true }) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const caller = identityOf(request)
      return { device: publicView(revokeDevice(registration, request.params.id, caller.subject, optionalTenantOf(caller, undefined))) }
    },
  )

  app.get(
    '/v1/devices',
    { schema: { summary: 'Registered devices of the caller\'s tenant', tags: ['devices'], querystring: devicesQuery, response: { 200: devicesBody, ...errorResponses(400, 401, 403) } } },
    async (request) => {
      const { site, kind } = request.query
      const tenant = optionalTenantOf(identityOf(request), request.query.tenant)
      const devices = deps.registry
        .list()
        .filter((d) => (tenant === undefined || d.tenant === tenant) && (site === undefined || d.site === site) && (kind === undefined || d.kind === kind))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      return { devices: devices.map(publicView) }
    },
  )

  app.get(
    '/v1/devices/:id/latest',
    {
      schema: {
        summary: 'The newest value of every field the device has reported',
        tags: ['devices'],
        params: deviceParams,
        response: { 200: latestBody, ...errorResponses(400, 401, 403, 404, 502, 503) },
      },
    },
    async (request) => {
      const device = visibleDevice(deps.registry, request.params.id, optionalTenantOf(identityOf(request), undefined))
      const values = await tenantReader(deps.store, device.tenant).latest(deviceSeries(device))
      return { deviceId: device.id, values: values.map((v) => ({ measurement: v.measurement, field: v.field, value: v.value, unit: unitOfValue(v), time: isoTime(v.time) })) }
    },
  )

  app.get(
    '/v1/devices/:id/readings',
    {
      schema: {
        summary: 'Stored readings of a device in a time range, oldest first',
        tags: ['devices'],
        params: deviceParams,
        querystring: readingsQuery,
        response: { 200: readingsBody, ...errorResponses(400, 401, 403, 404, 502, 503) },
      },
    },
    async (request) => {
      const device = visibleDevice(deps.registry, request.params.id, optionalTenantOf(identityOf(request), undefined))
      const { from, to } = readingsRange(request.query.from, request.query.to, Date.now())
      const values = await tenantReader(deps.store, device.tenant).readings({ ...deviceSeries(device), from, to, fields: request.query.field, limit: request.query.limit })
      return {
        deviceId: device.id,
        from: isoTime(from),
        to: isoTime(to),
        readings: values.map((v) => ({ time: isoTime(v.time), measurement: v.measurement, field: v.field, value: v.value, unit: unitOfValue(v) })),
      }
    },
  )

  app.get(
    '/v1/devices/:id/status',
    {
      schema: {
        summary: 'Connection events of a device (its broker\'s online and offline, with the reason) and the statuses it reported, oldest first',
        tags: ['devices'],
        params: deviceParams,
        querystring: statusQuery,
        response: { 200: statusBody, ...errorResponses(400, 401, 403, 404, 502, 503) },
      },
    },
    async (request) => {
      const device = visibleDevice(deps.registry, request.params.id, optionalTenantOf(identityOf(request), undefined))
      const { from, to } = readingsRange(request.query.from, request.query.to, Date.now())
      const points = await tenantReader(deps.store, device.tenant).points({ measurement: deviceStatusMeasurement, tags: { device: device.id }, from, to, limit: request.query.limit })
      const events = points.sort((a, b) => a.time - b.time).map((p) => statusEntryOf(p.fields, p.time))
      const connection = events.findLast((e) => e.connection !== undefined)?.connection
      return { deviceId: device.id, from: isoTime(from), to: isoTime(to), ...(connection !== undefined ? { connection } : {}), events }
    },
  )
}

/** A stored `device_status` point as the status route answers it. */
function statusEntryOf(fields: Readonly<Record<string, string | number | boolean>>, time: number): z.infer<typeof statusEntry> {
  const text = (part: keyof typeof deviceStatusFields): string | undefined => {
    const value = fields[deviceStatusFields[part].field]
    return typeof value === 'string' ? value : undefined
  }
  const connection = connectionStates.find((c) => c === text('connection'))
  const reason = connectionReasons.find((r) => r === text('reason'))
  const [detail, session, reported] = [text('detail'), text('session'), text('reported')]
  return {
    time: isoTime(time),
    ...(connection !== undefined ? { connection } : {}),
    ...(reason !== undefined ? { reason } : {}),
    ...(detail !== undefined ? { detail } : {}),
    ...(session !== undefined ? { session } : {}),
    ...(reported !== undefined ? { reported } : {}),
  }
}

/**
 * The device, when the caller may see it. Another tenant's device is answered exactly like an
 * unregistered one, so ids cannot be probed across tenants.
 */
export function visibleDevice(registry: DeviceRegistry, id: string, tenant: string | undefined): Device {
  const device = registry.get(id)
  if (device === undefined || (tenant !== undefined && device.tenant !== tenant)) throw new PlatformError('DEVICE_UNKNOWN', `no device "${id}" is registered`, { deviceId: id })
  return device
}

/** The device's own series: scoped by tenant as well, so an id reused elsewhere never leaks in. */
function deviceSeries(device: Device): SeriesSelector {
  return { measurements: storedMeasurements, tags: { device: device.id, tenant: device.tenant } }
}

function unitOfValue(value: StoredValue): string {
  return typeof value.value === 'number' ? unitOf(value.measurement, value.field) : ''
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}
