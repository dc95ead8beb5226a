import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { PlatformError } from '../models/errors.js'
import type { Device } from '../core/registry/device.js'
import { FileRegistry } from '../core/registry/file-registry.js'
import { apiKeyRefusal } from '../core/registry/device-registration.js'
import { generateSecret, hashSecret, verifySecret } from '../core/registry/secret.js'
import { registeredFormat } from './encode/variants.js'
import type { DevicePlan } from './fleet.js'

const stateSchema = z.object({ version: z.literal(1), secrets: z.record(z.string(), z.string().min(16)) })
type SimulatorState = z.infer<typeof stateSchema>

/** The simulator's state file sits next to the registry, so both move and get deleted together. */
export function defaultStateFile(registryFile: string): string {
  return join(dirname(registryFile), 'simulator-state.json')
}

export interface Registration {
  /** Device id → MQTT secret. */
  readonly secrets: ReadonlyMap<string, string>
  /** How many devices were added to the registry now. */
  readonly added: number
}

/**
 * Makes sure every planned device is registered and its secret known. The registry keeps only
 * scrypt hashes, so the secrets live in the simulator's own state file (mode 0600), written before
 * the registry so a crash in between loses nothing; a restart reuses both. A device registered
 * by someone else cannot be simulated: its secret is unknown.
 */
export async function ensureRegistered(plans: readonly DevicePlan[], tenant: string, registryFile: string, stateFile: string): Promise<Registration> {
  const registry = new FileRegistry(registryFile)
  const state = readState(stateFile)
  const secrets = new Map<string, string>()
  const missing: DevicePlan[] = []
  const toVerify: [Device, string][] = []
  for (const plan of plans) {
    const existing = registry.get(plan.id)
    const known = state.secrets[plan.id]
    if (existing && known === undefined) {
      throw new PlatformError('DEVICE_EXISTS', `device "${plan.id}" is registered, but not by the simulator, so its secret is unknown; remove it (circular devices remove ${plan.id}) or simulate another tenant`, { deviceId: plan.id })
    }
    const secret = known ?? generateSecret()
    secrets.set(plan.id, secret)
    if (existing) toVerify.push([existing, secret])
    else missing.push(plan)
  }
  const mismatched = (await Promise.all(toVerify.map(async ([device, secret]) => ((await verifySecret(secret, device.secretHash)) ? undefined : device.id)))).filter((id) => id !== undefined)
  if (mismatched.length > 0) {
    throw new PlatformError('DEVICE_EXISTS', `devices ${mismatched.join(', ')} are registered with secrets other than the simulator's (${stateFile}); remove them from the registry to register them afresh`, { deviceIds: mismatched })
  }
  if (missing.length > 0) writeState(stateFile, { version: 1, secrets: { ...state.secrets, ...Object.fromEntries(secrets) } })
  const createdAt = new Date().toISOString()
  const hashes = await Promise.all(missing.map((plan) => hashSecret(secrets.get(plan.id)!)))
  missing.forEach((plan, i) => {
    const device = deviceFor(plan, tenant, hashes[i]!, createdAt)
    // The API key is the tenant's name: refused like a registration's when another tenant holds it.
    registry.add(device, {
      admit: (current) => {
        const refusal = apiKeyRefusal(device, current)
        if (refusal) throw new PlatformError('API_KEY_TAKEN', `cannot simulate tenant "${tenant}": ${refusal.replace(/; choose .*$/, '')}; simulate another tenant (--tenant)`, { apiKey: device.apiKey })
      },
    })
  })
  return { secrets, added: missing.length }
}

/** The registry entry of a planned device, with the enrichment the processors use. */
export function deviceFor(plan: DevicePlan, tenant: string, secretHash: string, createdAt: string): Device {
  return {
    id: plan.id,
    tenant,
    site: plan.siteId,
    kind: plan.kind,
    format: registeredFormat(plan.variant),
    apiKey: tenant,
    location: { type: 'Point', coordinates: [plan.coordinates[0], plan.coordinates[1]] },
    ...(plan.entityId !== undefined ? { entityId: plan.entityId } : {}),
    ...(plan.container ?? {}),
    ...(plan.meterType !== undefined ? { meterType: plan.meterType } : {}),
    secretHash,
    createdAt,
  }
}

function readState(path: string): SimulatorState {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: {} }
    throw new PlatformError('REGISTRY_INVALID', `cannot read simulator state ${path}: ${(error as Error).message}`, { path })
  }
  let parsed: ReturnType<typeof stateSchema.safeParse>
  try {
    parsed = stateSchema.safeParse(JSON.parse(text))
  } catch (error) {
    throw new PlatformError('REGISTRY_INVALID', `simulator state ${path} is not JSON: ${(error as Error).message}`, { path })
  }
  if (!parsed.success) throw new PlatformError('REGISTRY_INVALID', `simulator state ${path} is invalid: ${parsed.error.issues.map((i) => i.message).join('; ')}`, { path })
  return parsed.data
}

function writeState(path: string, state: SimulatorState): void {
  mkdirSync(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })
  renameSync(temporary, path)
}
