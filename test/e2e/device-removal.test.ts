import { randomBytes } from 'node:crypto'
import { afterAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import type { IncomingRecord } from '../../core/bus/bus.js'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { alertEvent } from '../../core/alerts/alert-event.js'
import { createPlatform, platformCloser, startAlertsComponent, startBrokerComponent, startFootprintComponent, startNormaliserComponent, type Platform, type Started } from '../../cli/components.js'
import { capturedLogger } from '../support/log-capture.js'
import { withKafkaAdmin } from '../support/kafka-admin.js'
import { isolatedConfig, registerDevice, testLogger, waitFor, type TestDevice } from '../support/pipeline.js'

const minute = 60_000

/**
 * Removing a device from the registry removes what the processors keep of it, on real Kafka:
 * the registry mirror writes a tombstone on the devices topic, the footprint and alerts processors
 * delete the device's state with their own commit, compaction takes the old state records away,
 * and processors started afresh load only the devices that remain.
 */
describe('a removed device leaves no state behind, after compaction and a reload', () => {
  const id = randomBytes(4).toString('hex')
  const { config, cleanup } = isolatedConfig({
    REGISTRY_MIRROR_INTERVAL_MS: '300',
    // One partition: only a partition that is written to rolls its segment, which compaction needs; bin-kept's readings roll bin-gone's.
    KAFKA_TOPIC_PARTITIONS: '1',
    TOPIC_ALERTS: `test.${id}.alerts`,
    TOPIC_ALERTS_STATE: `test.${id}.alerts-state`,
    TOPIC_ALERT_COMMANDS: `test.${id}.alert-commands`,
    TOPIC_ALERT_SITE_FLOWS: `test.${id}.alert-site-flows`,
    TOPIC_ALERT_DELIVERIES: `test.${id}.alert-deliveries`,
    ALERT_PROCESSOR_GROUP: `test.${id}.alerts`,
  })
  const running: { platform: Platform; started: Started[] }[] = []
  async function start(parts: ((p: Platform) => Promise<Started>)[], logger = testLogger): Promise<{ platform: Platform; started: Started[] }> {
    const platform = createPlatform(config, logger)
    const started: Started[] = []
    for (const part of parts) started.push(await part(platform))
    const run = { platform, started }
    running.push(run)
    return run
  }
  async function stop(run: { platform: Platform; started: Started[] }): Promise<void> {
    running.splice(running.indexOf(run), 1)
    for (const s of [...run.started].reverse()) await s.stop()
    await platformCloser(run.platform).stop()
  }
  const bus = new KafkaBus(config.kafka, testLogger)
  afterAll(async () => {
    for (const run of [...running]) await stop(run)
    await bus.close()
    cleanup()
  })

  const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000
  async function publishFill(url: string, device: TestDevice, fills: number[], from: number): Promise<void> {
    const client = await mqtt.connectAsync(url, { clientId: device.device.id, username: device.device.id, password: device.secret, protocolVersion: 4 })
    for (const [i, fill] of fills.entries()) {
      const entity = { id: `urn:ngsi-ld:WasteContainer:${device.device.id}`, type: 'WasteContainer', fillingLevel: { type: 'Property', value: fill, observedAt: new Date(from + i * minute).toISOString() } }
      await client.publishAsync(`devices/${device.device.id}/ngsi-ld`, JSON.stringify(entity), { qos: 1 })
    }
    await client.endAsync()
  }
  /** The keys whose newest record on a compacted topic is a value, not a tombstone. */
  async function liveKeys(topic: string): Promise<string[]> {
    const newest = new Map<string, IncomingRecord>()
    for (const r of await bus.readAll(topic)) newest.set(r.key, r)
    return [...newest.values()].filter((r) => !r.tombstone).map((r) => r.key).sort()
  }
  const valuesOf = async (topic: string, key: string): Promise<number> => (await bus.readAll(topic)).filter((r) => r.key === key && !r.tombstone).length

  test('state, open alerts and old changelog records of the device go; the other device keeps its state through a reload', async () => {
    const gone = await registerDevice(config, { id: 'bin-gone', kind: 'waste_container', format: 'ngsi-ld' })
    const kept = await registerDevice(config, { id: 'bin-kept', kind: 'waste_container', format: 'ngsi-ld' })
    const first = await start([startBrokerComponent, startNormaliserComponent, startFootprintComponent, startAlertsComponent])
    const mqttUrl = first.started[0]!.address!
    const stateTopics = [config.bus.topics.footprintState, config.alerts.topics.state]
    // Compaction as soon as possible, so the test sees it: small segments, no lag, tombstones kept for a moment only.
    await withKafkaAdmin(config.kafka.brokers, (admin) =>
      admin.incrementalAlterConfigs({
        resources: stateTopics.map((name) => ({
          resourceType: 2,
          resourceName: name,
          configs: [
            { name: 'segment.ms', configOperation: 0, value: '2000' },
            { name: 'min.cleanable.dirty.ratio', configOperation: 0, value: '0.01' },
            { name: 'min.compaction.lag.ms', configOperation: 0, value: '0' },
            { name: 'delete.retention.ms', configOperation: 0, value: '1000' },
          ],
        })),
      }),
    )

    // bin-gone fills up (a fill alert fires); bin-kept reports once.
    await publishFill(mqttUrl, gone, [0.5, 0.9, 0.92], t0)
    await publishFill(mqttUrl, kept, [0.3], t0)
    for (const topic of stateTopics) await waitFor(async () => (await liveKeys(topic)).join() === 'bin-gone,bin-kept', 60_000, `both devices' state on ${topic}`)
    const events = async () => (await bus.readAll(config.alerts.topics.events)).map((r) => alertEvent.parse(JSON.parse(r.value.toString('utf8'))))
    const [firing] = await waitFor(async () => {
      const of = (await events()).filter((e) => e.deviceId === 'bin-gone')
      return of.length > 0 && of
    }, 30_000, 'the fill alert of bin-gone')
    expect(firing).toMatchObject({ phase: 'firing', rule: 'fill' })

    new FileRegistry(config.registryFile).remove('bin-gone')
    for (const topic of stateTopics) await waitFor(async () => (await liveKeys(topic)).join() === 'bin-kept', 30_000, `bin-gone's tombstone on ${topic}`)
    expect(await liveKeys(config.bus.topics.devices)).toEqual(['bin-kept'])
    const resolved = (await events()).filter((e) => e.deviceId === 'bin-gone' && e.phase === 'resolved')
    expect(resolved).toEqual([expect.objectContaining({ alertId: firing!.alertId, reason: 'closed by the device being removed from the registry' })])
    const counters = (component: string) => first.platform.counters.find((c) => c.component === component)!
    expect(counters('footprint').get('devicesForgotten')).toBe(1)
    expect(counters('alerts').get('devicesForgotten')).toBe(1)

    // Compaction: once the segment holding the tombstone is closed (bin-kept's later readings roll it), the cleaner takes bin-gone's state records.
    expect(await valuesOf(config.bus.topics.footprintState, 'bin-gone')).toBeGreaterThan(0)
    for (let i = 0; ; i++) {
      await new Promise((resolve) => setTimeout(resolve, 2500))
      await publishFill(mqttUrl, kept, [0.3 + (i + 1) / 100], t0 + (i + 1) * minute)
      const left = (await Promise.all(stateTopics.map((topic) => valuesOf(topic, 'bin-gone')))).reduce((a, b) => a + b, 0)
      if (left === 0) break
      if (i >= 30) throw new Error(`compaction left ${left} state records of bin-gone after ${i} tries`)
    }
    await stop(first)

    // A reload: new processors read the changelogs and know bin-kept only.
    const { logger, lines } = capturedLogger('info')
    const second = await start([startBrokerComponent, startNormaliserComponent, startFootprintComponent, startAlertsComponent], logger)
    await publishFill(second.started[0]!.address!, kept, [0.6], t0 + 50 * minute)
    const loaded = (what: string) => lines.filter((l) => l.msg === `${what} state loaded from changelog`).map((l) => l.devices)
    await waitFor(() => loaded('footprint').length > 0 && loaded('alerts').length > 0, 30_000, 'both processors to load their state')
    expect(loaded('footprint').every((devices) => devices === 1), 'footprint loads').toBe(true)
    expect(loaded('alerts').every((devices) => devices === 1), 'alerts loads').toBe(true)
    expect(await liveKeys(config.bus.topics.footprintState)).toEqual(['bin-kept'])
  }, 240_000)
})
