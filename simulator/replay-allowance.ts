import { WatchedJsonFile } from '../core/registry/json-file.js'
import { tenantsFile, type TenantsFile } from '../core/registry/tenants.js'

/** Metrics the demo city publishes as open data. */
const demoOpenMetrics = ['recycling_rate', 'landfill_diversion_rate', 'waste_received_kg', 'electricity_co2e']

/**
 * A simulated city replays days of history in a minute, far above the per-device rate a real
 * sensor is held to at the broker. Gives the simulated tenant a replay allowance (and open data
 * to show) in the tenants file, unless that file already has a policy for the tenant.
 */
export function grantReplayAllowance(tenantsFilePath: string, tenant: string): void {
  const file = new WatchedJsonFile<TenantsFile>(tenantsFilePath, tenantsFile, () => ({ version: 1, tenants: {} }), 'TENANTS_INVALID')
  file.update((content) =>
    content.tenants[tenant] !== undefined
      ? undefined
      : { ...content, tenants: { ...content.tenants, [tenant]: { limits: { messagesPerSecondPerDevice: 10_000, burstMessages: 100_000 }, openData: { metrics: demoOpenMetrics } } } },
  )
}
