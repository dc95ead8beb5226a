import { z } from 'zod'
import { device, identifier } from '../core/registry/device.js'
import { deviceKind } from '../models/reading.js'
import { storedFieldNames } from './stored-fields.js'

/**
 * Every request and response shape of the API. These schemas validate requests, serialise
 * responses and generate the OpenAPI document, so the three cannot disagree.
 */

export const maxReadingsLimit = 100_000

const isoDateTime = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone, e.g. 2026-01-15T08:00:00Z' })

const fieldName = z
  .string()
  .regex(/^[A-Za-z0-9_]{1,128}$/, 'must be field names made of letters, digits and underscores')
  .refine((name) => storedFieldNames.has(name), { error: (issue) => `"${String(issue.input)}" is not a stored field; known fields: ${[...storedFieldNames].join(', ')}` })

// ---- requests ----

export const deviceParams = z.strictObject({ id: identifier.describe('Device id as registered') })

export const devicesQuery = z.strictObject({
  tenant: identifier.optional().describe('Tenant: defaults to the caller\'s own; only a platform key may name another or leave it out to list all'),
  site: identifier.optional().describe('Only devices at this site'),
  kind: deviceKind.optional().describe('Only devices of this kind'),
})

export const readingsQuery = z.strictObject({
  from: isoDateTime.optional().describe('Start of the range, inclusive; default 24 hours before `to`'),
  to: isoDateTime.optional().describe('End of the range, exclusive; default now'),
  field: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('Only these fields: repeat the parameter or separate names with commas; default all')
    .transform((value) => (value === undefined ? [] : (Array.isArray(value) ? value : [value]).flatMap((names) => names.split(','))))
    .pipe(z.array(fieldName).max(100, 'must name at most 100 fields')),
  limit: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(maxReadingsLimit, `must be at most ${maxReadingsLimit}`)
    .default(10_000)
    .describe('Most values returned per field, oldest first'),
})

// ---- responses ----

const time = z.iso.datetime().describe('ISO 8601, UTC, millisecond precision')
const value = z.union([z.number(), z.string(), z.boolean()])
const unit = z.string().describe('Canonical unit (kg, kWh, W, Cel, ratio, ppm, m3, …); empty for text and flags')

export const errorBody = z.object({
  error: z.object({
    code: z.string().describe('Stable error code from the platform catalogue'),
    message: z.string(),
    parameter: z.string().optional().describe('The request parameter at fault, for INVALID_PARAMETER'),
    correlationId: z.string().optional().describe('For unexpected failures: quote it to the operator, who finds the details in the logs'),
  }),
})
export type ErrorBody = z.infer<typeof errorBody>

const probeResult = z.object({ reachable: z.boolean() })

/** `status`, and one entry per backend in use, named after it: `kafka` or `embeddedBus`, `influxdb` or `embeddedStore`. */
export const healthBody = z.object({
  status: z.enum(['ok', 'degraded']),
  kafka: probeResult.optional(),
  embeddedBus: probeResult.optional(),
  influxdb: probeResult.optional(),
  embeddedStore: probeResult.optional(),
  stalledGroups: z
    .array(z.object({ group: z.string(), lag: z.number().int(), since: z.number().int(), stalledForMs: z.number().int() }))
    .optional()
    .describe('consumer groups whose position has not grown for HEALTH_GROUP_STALL_MS while records wait for them'),
})

export const devicesBody = z.object({ devices: z.array(device.omit({ secretHash: true })) })

export const latestBody = z.object({
  deviceId: z.string(),
  values: z.array(z.object({ measurement: z.string(), field: z.string(), value, unit, time })),
})

export const readingsBody = z.object({
  deviceId: z.string(),
  from: time,
  to: time,
  readings: z.array(z.object({ time, measurement: z.string(), field: z.string(), value, unit })),
})

/** Error responses a route can give, for the OpenAPI document and the serializer. */
export function errorResponses<const Status extends number>(...statuses: Status[]): Record<Status, typeof errorBody> {
  return Object.fromEntries(statuses.map((status) => [status, errorBody])) as Record<Status, typeof errorBody>
}
