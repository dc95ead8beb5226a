import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import type { EmbeddedBus } from '../../core/bus/embedded-bus.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import type { Device } from '../../core/registry/device.js'
import { RegistryMirror, registeredDevice } from '../../processors/registry-mirror.js'
import { embeddedPlatform, quietLogger, type EmbeddedPlatform } from '../support/embedded.js'

const device = (id: string, site = 'north'): Device => ({
  id,
  tenant: 'city',
  site,
  kind: 'waste_container',
  format: 'auto',
  apiKey: 'city',
  secretHash: 'scrypt$not-a-real-hash',
  createdAt: '2026-12-01T00:00:00.000Z',
})

describe('registry mirror: the devices topic follows the registry file', () => {
  let platform: EmbeddedPlatform
  let bus: EmbeddedBus
  let registry: FileRegistry
  const mirror = (): RegistryMirror => new RegistryMirror({ config: platform.config, bus, registry, logger: quietLogger })
  /** The topic as compaction leaves it: the newest record per key, tombstones as `null`. */
  const topic = async (): Promise<Record<string, unknown>> =>
    Object.fromEntries((await bus.readAll(platform.config.bus.topics.devices)).map((r) => [r.key, r.tombstone ? null : registeredDevice.parse(JSON.parse(r.value.toString('utf8')))]))
  /** Every record ever written, compaction aside: what repeats cost. */
  const written = async (): Promise<number> => {
    const lag = await bus.lag('nobody', [platform.config.bus.topics.devices])
    return lag.reduce((sum, p) => sum + p.lag, 0)
  }

  beforeEach(() => {
    // A long interval: the test drives `sync` itself.
    platform = embeddedPlatform({ REGISTRY_MIRROR_INTERVAL_MS: '3600000' })
    bus = platform.openBus()
    registry = new FileRegistry(platform.config.registryFile)
  })
  afterEach(async () => {
    await platform.cleanup()
  })

  test('registrations, a change of site and a removal each become one record; nothing secret is published', async () => {
    registry.add(device('bin-1'))
    registry.add(device('bin-2'))
    const m = mirror()
    const running = await m.start()
    try {
      expect(await topic()).toEqual({
        'bin-1': { schema: 'circular.registered-device/v1', id: 'bin-1', tenant: 'city', site: 'north', kind: 'waste_container', createdAt: '2026-12-01T00:00:00.000Z' },
        'bin-2': expect.objectContaining({ id: 'bin-2' }) as unknown,
      })
      expect(JSON.stringify(await bus.readAll(platform.config.bus.topics.devices).then((rs) => rs.map((r) => r.value.toString())))).not.toMatch(/scrypt|sha256\$|secretHash/)
      expect(await m.sync()).toBe(0)

      registry.remove('bin-2')
      registry.take('bin-1')
      registry.add(device('bin-1', 'south'))
      expect(await m.sync()).toBe(2)
      expect(await topic()).toEqual({ 'bin-1': expect.objectContaining({ site: 'south' }) as unknown, 'bin-2': null })
      expect(await m.sync()).toBe(0)
      expect(await written()).toBe(4)
      expect(m.counters.snapshot()).toMatchObject({ registered: 3, removed: 1 })
    } finally {
      await running.stop()
    }
  })

  test('a device removed while no mirror ran is noticed at the next start, from the topic', async () => {
    registry.add(device('bin-1'))
    registry.add(device('bin-2'))
    await (await mirror().start()).stop()
    registry.remove('bin-1')
    const later = mirror()
    await (await later.start()).stop()
    expect(await topic()).toEqual({ 'bin-1': null, 'bin-2': expect.objectContaining({ id: 'bin-2' }) as unknown })
    expect(later.counters.snapshot()).toMatchObject({ registered: 0, removed: 1 })
  })

  test('an empty registry beside a topic of several devices is refused as a wrong file, not taken as every device removed', async () => {
    registry.add(device('bin-1'))
    registry.add(device('bin-2'))
    const m = mirror()
    const running = await m.start()
    try {
      registry.remove('bin-1')
      registry.remove('bin-2')
      expect(await m.sync()).toBe(0)
      expect(m.counters.get('emptyRegistryRefusals')).toBe(1)
      expect(Object.keys(await topic()).sort()).toEqual(['bin-1', 'bin-2'])
      expect(Object.values(await topic())).not.toContain(null)
    } finally {
      await running.stop()
    }
  })
})
