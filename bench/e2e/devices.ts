import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { registryFile, type Device } from '../../core/registry/device.js'
import { tenantsFile } from '../../core/registry/tenants.js'
import { generateSecret, hashSecret } from '../../core/registry/secret.js'

export interface BenchDevice {
  readonly id: string
  readonly secret: string
}

/** The simulated fleet of one ingest path: its own tenant, so its stored readings can be counted apart. */
export interface Fleet {
  readonly tenant: string
  readonly devices: readonly BenchDevice[]
  /** Publishes the latency probes; not one of the load devices. */
  readonly probe: BenchDevice
}

export function fleetFor(runId: string, tag: string, count: number, secret: string): Fleet {
  const prefix = `bench-${runId}-${tag}`
  const devices = Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${String(i).padStart(4, '0')}`, secret }))
  return { tenant: prefix, devices, probe: { id: `${prefix}-probe`, secret } }
}

/**
 * Writes the registry file for all fleets at once. Every bench device shares one secret and its
 * hash; the broker still verifies it on every connection.
 */
export async function writeRegistry(path: string, fleets: readonly Fleet[], secret: string): Promise<void> {
  const secretHash = await hashSecret(secret)
  const createdAt = new Date().toISOString()
  const devices: Device[] = fleets.flatMap((fleet) =>
    [...fleet.devices, fleet.probe].map((d) => ({
      id: d.id,
      tenant: fleet.tenant,
      site: 'bench-site',
      kind: 'waste_container' as const,
      format: 'senml' as const,
      apiKey: fleet.tenant,
      secretHash,
      createdAt,
    })),
  )
  const content = registryFile.parse({ version: 1, devices })
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(content) + '\n', { mode: 0o600 })
}

/**
 * Writes the tenants file that lifts the broker's per-device rate limit (built in: 5 messages/s,
 * burst 20) for the bench tenants, as the demo city's replay allowance does: a bench device
 * publishes thousands of messages per second. Every other limit keeps its default.
 */
export function writeTenants(path: string, fleets: readonly Fleet[]): void {
  const limits = { messagesPerSecondPerDevice: 10_000, burstMessages: 100_000 }
  const content = tenantsFile.parse({ version: 1, tenants: Object.fromEntries(fleets.map((f) => [f.tenant, { limits }])) })
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(content) + '\n', { mode: 0o600 })
}

export { generateSecret }
