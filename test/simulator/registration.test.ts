import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { PlatformError } from '../../models/errors.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { hashSecret, verifySecret } from '../../core/registry/secret.js'
import { planFleet } from '../../simulator/fleet.js'
import { defaultStateFile, deviceFor, ensureRegistered } from '../../simulator/registration.js'

describe('ensureRegistered', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simulator-registration-'))
  const registryFile = join(dir, 'registry.json')
  const stateFile = defaultStateFile(registryFile)
  const plans = planFleet('demo-city', 1, 1)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('should register the missing devices with hashed secrets and keep the secrets in a private state file next to the registry', async () => {
    const first = await ensureRegistered(plans, 'demo-city', registryFile, stateFile)
    expect(first.added).toBe(plans.length)
    expect(stateFile).toBe(join(dir, 'simulator-state.json'))
    expect(statSync(stateFile).mode & 0o777).toBe(0o600)
    const stored = JSON.parse(readFileSync(stateFile, 'utf8')) as { secrets: Record<string, string> }
    const registry = new FileRegistry(registryFile)
    expect(registry.list()).toHaveLength(plans.length)
    for (const plan of plans.slice(0, 3)) {
      const secret = first.secrets.get(plan.id)!
      expect(stored.secrets[plan.id]).toBe(secret)
      expect(readFileSync(registryFile, 'utf8')).not.toContain(secret)
      expect(await verifySecret(secret, registry.get(plan.id)!.secretHash)).toBe(true)
    }
    expect(registry.get(plans[0]!.id)).toMatchObject({ tenant: 'demo-city', kind: 'waste_container', wasteFraction: 'inorganic', containerVolumeM3: 5 })
  })

  test('a restart should reuse the registered devices and their secrets', async () => {
    const before = readFileSync(registryFile, 'utf8')
    const again = await ensureRegistered(plans, 'demo-city', registryFile, stateFile)
    expect(again.added).toBe(0)
    const stored = JSON.parse(readFileSync(stateFile, 'utf8')) as { secrets: Record<string, string> }
    expect(Object.fromEntries(again.secrets)).toEqual(stored.secrets)
    expect(readFileSync(registryFile, 'utf8')).toBe(before)
  })

  test('should refuse a device id registered by someone else, whose secret it cannot know', async () => {
    const foreign = planFleet('other-city', 1, 1)
    new FileRegistry(registryFile).add(deviceFor(foreign[0]!, 'other-city', await hashSecret('a-secret-nobody-told-the-simulator'), new Date().toISOString()))
    const error = await ensureRegistered(foreign, 'other-city', registryFile, stateFile).catch((e: unknown) => e)
    expect(PlatformError.is(error, 'DEVICE_EXISTS')).toBe(true)
    expect((error as Error).message).toContain(foreign[0]!.id)
  })
})
