import type { z } from 'zod'
import { PlatformError } from '../../models/errors.js'
import type { AuditLog } from './audit-log.js'
import { device, reservedApiKeys, type Device } from './device.js'
import type { FileRegistry } from './file-registry.js'
import { generateSecret, hashSecret } from './secret.js'
import type { TenantPolicies } from './tenants.js'

/**
 * What registering a device takes: the registry entry without what the platform makes itself
 * (the secret's hash, the creation time). `circular devices add` and `POST /v1/devices` both
 * check their input against this one schema.
 */
export const deviceRegistration = device
  .omit({ secretHash: true, createdAt: true })
  .extend({
    format: device.shape.format.default('auto'),
    apiKey: device.shape.apiKey.optional().describe('FIWARE IoT Agent API key for /json/<apiKey>/… topics; default the tenant. It belongs to one tenant: another tenant\'s key or name, and json or ul, are refused (409 API_KEY_TAKEN)'),
  })
  .strict()
export type DeviceRegistration = z.input<typeof deviceRegistration>

export interface RegistrationDeps {
  readonly registry: FileRegistry
  readonly tenants: TenantPolicies
  readonly audit: AuditLog
}

/** A registered device and its MQTT secret, which is stored only as a hash and cannot be shown again. */
export interface NewDevice {
  readonly device: Device
  readonly secret: string
}

/**
 * Registers a device: checks it, refuses it when its tenant has `maxDevices` registered already
 * or its API key is not the tenant's to use (see `apiKeyRefusal`), stores it with a new secret's
 * scrypt hash, and records who did it in the audit log.
 */
export async function registerDevice(deps: RegistrationDeps, input: z.output<typeof deviceRegistration>, actor: string, now = Date.now()): Promise<NewDevice> {
  const secret = generateSecret()
  const candidate: Device = device.parse({ ...input, apiKey: input.apiKey ?? input.tenant, secretHash: await hashSecret(secret), createdAt: new Date(now).toISOString() })
  const maxDevices = deps.tenants.currentLimitsFor(candidate.tenant).maxDevices
  deps.registry.add(candidate, {
    // Checked against the registry as it is written, not as it was read before hashing the secret.
    admit: (current) => {
      const refusal = apiKeyRefusal(candidate, current, deps.tenants.named())
      if (refusal) throw new PlatformError('API_KEY_TAKEN', refusal, { parameter: 'apiKey', apiKey: candidate.apiKey })
      const registered = current.filter((d) => d.tenant === candidate.tenant).length
      if (registered >= maxDevices) {
        throw new PlatformError('TENANT_LIMIT_REACHED', `tenant "${candidate.tenant}" has its maximum of ${maxDevices} devices registered; remove one or raise limits.maxDevices in the tenants file`, {
          tenant: candidate.tenant,
          limit: 'maxDevices',
          maxDevices,
        })
      }
    },
  })
  deps.audit.append({ actor, action: 'device.add', tenant: candidate.tenant, target: candidate.id, details: { site: candidate.site, kind: candidate.kind } }, now)
  return { device: candidate, secret }
}

/**
 * Why a device may not use its API key, if it may not. An API key names one tenant's IoT Agent
 * namespace (`/json/<apiKey>/…`), so it belongs to the first tenant that registers a device with
 * it, and to no other; a tenant's name, which is its devices' default key, is that tenant's alone
 * (`tenants` are the names the tenants file lists; tenants with devices count anyway); and no key
 * may be spelled like a protocol prefix (see `reservedApiKeys`). The message does not say which
 * tenant holds a key.
 */
export function apiKeyRefusal(candidate: Pick<Device, 'tenant' | 'apiKey'>, current: readonly Pick<Device, 'tenant' | 'apiKey'>[], tenants: readonly string[] = []): string | undefined {
  const { apiKey, tenant } = candidate
  if (reservedApiKeys.includes(apiKey)) return `API key "${apiKey}" is a protocol prefix of the topic scheme (${reservedApiKeys.map((k) => `/${k}/…`).join(', ')}) and cannot be a device's API key; choose another with --api-key (API: apiKey)`
  const othersName = apiKey !== tenant && (tenants.includes(apiKey) || current.some((d) => d.tenant === apiKey))
  const othersKey = current.some((d) => d.apiKey === apiKey && d.tenant !== tenant)
  if (othersName || othersKey) return `API key "${apiKey}" belongs to another tenant; choose another with --api-key (API: apiKey)`
  return undefined
}

/**
 * Revokes a device: it can no longer connect, and a connection it holds is closed at its next
 * publish. With `tenant`, a device of another tenant is answered like one that does not exist.
 */
export function revokeDevice(deps: Pick<RegistrationDeps, 'registry' | 'audit'>, id: string, actor: string, tenant?: string): Device {
  const existing = deps.registry.take(id, (d) => tenant === undefined || d.tenant === tenant)
  if (existing === undefined) throw new PlatformError('DEVICE_UNKNOWN', `no device "${id}" is registered`, { deviceId: id })
  deps.audit.append({ actor, action: 'device.remove', tenant: existing.tenant, target: id, details: { site: existing.site, kind: existing.kind } })
  return existing
}

/** What a device needs to connect, as `circular devices add --json` prints it and `POST /v1/devices` answers. */
export function mqttCredentials(d: Device, secret: string): { deviceId: string; username: string; clientId: string; secret: string; topics: Record<string, string> } {
  return {
    deviceId: d.id,
    username: d.id,
    clientId: d.id,
    secret,
    topics: {
      ngsiLd: `devices/${d.id}/ngsi-ld`,
      senml: `devices/${d.id}/senml`,
      registeredFormat: `devices/${d.id}/attrs`,
      iotAgentJson: `/json/${d.apiKey}/${d.id}/attrs`,
      ultralight: `/ul/${d.apiKey}/${d.id}/attrs`,
    },
  }
}
