import { z } from 'zod'
import { identifier } from './device.js'
import { WatchedJsonFile } from './json-file.js'

/** What one tenant may put through the broker. */
export interface TenantLimits {
  /** Devices the tenant may register, and have connected to the broker at the same time. */
  readonly maxDevices: number
  /** Sustained publish rate per device. */
  readonly messagesPerSecondPerDevice: number
  /** Publishes a device may send at once after being quiet, above the sustained rate. */
  readonly burstMessages: number
  readonly maxPayloadBytes: number
}

const limits = z.strictObject({
  maxDevices: z.number().int().positive(),
  messagesPerSecondPerDevice: z.number().positive().max(10_000),
  burstMessages: z.number().int().positive().max(100_000),
  maxPayloadBytes: z.number().int().positive(),
})

const metricId = z.string().regex(/^[a-z0-9_]{1,64}$/, 'a metric id such as recycling_rate')

/** Which footprint metrics the tenant publishes as open data; nothing is public unless listed. */
const openData = z.strictObject({ metrics: z.array(metricId).max(100) })

const tenantPolicy = z.strictObject({ limits: limits.partial().optional(), openData: openData.optional() })

export const tenantsFile = z.strictObject({
  version: z.literal(1),
  /** Limits for every tenant that does not set its own. */
  defaults: z.strictObject({ limits: limits.partial().optional() }).optional(),
  tenants: z.record(identifier, tenantPolicy),
})
export type TenantsFile = z.infer<typeof tenantsFile>

/**
 * Per-tenant limits and data-sharing policy from `TENANTS_FILE`, reloaded when the file changes.
 * Layers, later wins field by field: built-in, the file's defaults, the tenant's own.
 */
export class TenantPolicies {
  private readonly file: WatchedJsonFile<TenantsFile>
  private readonly builtIn: TenantLimits

  constructor(path: string, maxPayloadBytes: number) {
    this.file = new WatchedJsonFile(path, tenantsFile, () => ({ version: 1, tenants: {} }), 'TENANTS_INVALID')
    this.builtIn = { maxDevices: 10_000, messagesPerSecondPerDevice: 5, burstMessages: 20, maxPayloadBytes }
  }

  limitsFor(tenant: string): TenantLimits {
    return this.limitsIn(this.file.read(), tenant)
  }

  /** As `limitsFor`, from the file as it is now rather than as last checked (for admin actions, which are rare). */
  currentLimitsFor(tenant: string): TenantLimits {
    return this.limitsIn(this.file.readCurrent(), tenant)
  }

  private limitsIn(content: TenantsFile, tenant: string): TenantLimits {
    const limits = { ...this.builtIn, ...content.defaults?.limits, ...content.tenants[tenant]?.limits }
    // MQTT_MAX_PAYLOAD_BYTES is the most any tenant gets: the bus record is sized for it.
    return { ...limits, maxPayloadBytes: Math.min(limits.maxPayloadBytes, this.builtIn.maxPayloadBytes) }
  }

  /** The tenants the file names, whose names (their devices' default API keys) no other tenant may take. */
  named(): readonly string[] {
    return Object.keys(this.file.readCurrent().tenants)
  }

  /** The metric ids the tenant publishes as open data, in the order the file lists them. */
  publicMetrics(tenant: string): readonly string[] {
    return this.file.read().tenants[tenant]?.openData?.metrics ?? []
  }
}
