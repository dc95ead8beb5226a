import { z } from 'zod'
import type { Bus, OutgoingRecord } from '../core/bus/bus.js'
import { pipelineTopics } from '../core/bus/topics.js'
import type { Config } from '../core/config.js'
import { Counters } from '../core/counters.js'
import type { Logger } from '../core/logger.js'
import type { Device } from '../core/registry/device.js'
import type { DeviceRegistry } from '../core/registry/registry.js'

export const registryMirrorCounterNames = ['registered', 'removed', 'emptyRegistryRefusals'] as const

/** What the devices topic says of a registered device: enough to name it, nothing secret. */
export const registeredDevice = z.object({
  schema: z.literal('circular.registered-device/v1'),
  id: z.string(),
  tenant: z.string(),
  site: z.string(),
  kind: z.string(),
  createdAt: z.string(),
})
export type RegisteredDevice = z.infer<typeof registeredDevice>

function describe(device: Device): RegisteredDevice {
  return { schema: 'circular.registered-device/v1', id: device.id, tenant: device.tenant, site: device.site, kind: device.kind, createdAt: device.createdAt }
}

/**
 * Mirrors the device registry onto the compacted devices topic: a record when a device is
 * registered (or its id, tenant, site or kind change), a tombstone when it is removed. The
 * processors that keep per-device state read the topic beside their input, so a removal reaches
 * them in their own batches and their state of that device is deleted with the same commit.
 *
 * It compares the registry with the topic, not with its own memory, so a device removed while
 * no mirror ran is still noticed at the next start. Several mirrors (one per normaliser) write
 * the same records; the topic is compacted, so repeats cost nothing lasting.
 */
export class RegistryMirror {
  readonly counters = new Counters('registry-mirror', registryMirrorCounterNames)
  /** The devices topic as this mirror last read or wrote it: id → the record's value. */
  private readonly published = new Map<string, string>()
  private running: Promise<unknown> = Promise.resolve()

  constructor(private readonly deps: { config: Config; bus: Bus; registry: DeviceRegistry; logger: Logger }) {}

  /** Reads the topic, brings it in line with the registry, and keeps it so every `registryMirrorIntervalMs`. */
  async start(): Promise<{ stop: () => Promise<void> }> {
    const { bus, config, logger } = this.deps
    await bus.ensureTopics(pipelineTopics(config.bus))
    for (const record of await bus.readAll(config.bus.topics.devices)) {
      if (record.tombstone) this.published.delete(record.key)
      else this.published.set(record.key, record.value.toString('utf8'))
    }
    await this.sync().catch((error: unknown) => logger.warn({ err: error }, 'registry mirror could not bring the devices topic in line; trying again at the next tick'))
    const timer = setInterval(() => {
      this.running = this.sync().catch((error: unknown) => logger.warn({ err: error }, 'registry mirror could not write the devices topic; trying again at the next tick'))
    }, config.registryMirrorIntervalMs)
    return {
      stop: async () => {
        clearInterval(timer)
        await this.running
      },
    }
  }

  /** Publishes what changed since the topic was last brought in line; returns how many records. */
  async sync(): Promise<number> {
    const { bus, config, registry, logger } = this.deps
    const topic = config.bus.topics.devices
    const devices = registry.list()
    const current = new Map(devices.map((d) => [d.id, JSON.stringify(describe(d))]))
    const records: OutgoingRecord[] = []
    for (const [id, value] of current) {
      if (this.published.get(id) !== value) records.push({ topic, key: id, value: Buffer.from(value), headers: {} })
    }
    const gone = [...this.published.keys()].filter((id) => !current.has(id))
    // An empty registry beside a topic full of devices is far likelier a wrong or missing REGISTRY_FILE than a city that removed every device.
    if (devices.length === 0 && gone.length > 1) {
      this.counters.add('emptyRegistryRefusals')
      logger.error({ devicesOnTopic: gone.length, registryFile: config.registryFile }, 'the registry is empty but the devices topic holds devices: not removing them (and their state); check REGISTRY_FILE')
      return 0
    }
    for (const id of gone) records.push({ topic, key: id, value: Buffer.alloc(0), headers: {}, tombstone: true })
    if (records.length === 0) return 0
    await bus.publish(records)
    for (const r of records) {
      if (r.tombstone) this.published.delete(r.key)
      else this.published.set(r.key, r.value.toString('utf8'))
    }
    this.counters.add('registered', records.length - gone.length)
    this.counters.add('removed', gone.length)
    if (gone.length > 0) logger.info({ devices: gone.slice(0, 20), count: gone.length }, 'removed devices published to the devices topic; their state goes with them')
    return records.length
  }
}
