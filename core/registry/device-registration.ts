import type { z } from 'zod'
import { PlatformError } from '../../models/errors.js'
import type { AuditLog } from './audit-log.js'
import { device, type Device } from './device.js'
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
    apiKey: device.shape.apiKey.optional().describe('FIWARE IoT Agent API key for /json/<apiKey>/… topics; default the tenant'),
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
 * Registers a device: checks it, refuses it when its tenant has `maxDevices` registered already,
 * stores it with a new secret's scrypt hash, and records who did it in the audit log.
 */
export async function registerDevice(deps: RegistrationDeps, input: z.output<typeof deviceRegistration>, actor: string, now = Date.now()): Promise<NewDevice> {
  const secret = generateSecret()
  const candidate: Device = device.parse({ ...input, apiKey: input.apiKey ?? input.tenant, secretHash: await hashSecret(secret), createdAt: new Date(now).toISOString() })
  const maxDevices = deps.tenants.currentLimitsFor(candidate.tenant).maxDevices
  deps.registry.add(candidate, {
    // Checked against the registry as it is written, not as it was read before hashing the secret.
    admit: (current) => {
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
