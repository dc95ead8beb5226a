import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { type Started, startNormaliserComponent } from '../../cli/components.js'
import type { Bus, Consumption } from '../../core/bus/bus.js'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { pipelineTopics } from '../../core/bus/topics.js'
import { alertCommandRecord } from '../../core/alerts/alert-command.js'
import { alertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import { AlertsProcessor } from '../../processors/alerts/alerts-processor.js'
import { RulesSource } from '../../processors/alerts/rules-source.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { collectTopic, isolatedConfig, registerDevice, testLogger, waitFor, type TestDevice } from '../support/pipeline.js'
import { withKafkaAdmin } from '../support/kafka-admin.js'

const minute = 60_000
const t0 = Date.parse('2026-11-05T08:00:00Z')

describe('alerts: two processors in one consumer group', () => {
  const id = randomBytes(4).toString('hex')
  // Three partitions: with two members, Kafka's round-robin assignor would split one device's
  // readings and commands partitions between the instances.
  const { config, cleanup } = isolatedConfig({
    ALERT_PROCESSOR_GROUP: `test.${id}.alerts`,
    TOPIC_ALERTS: `test.${id}.alerts`,
    TOPIC_ALERTS_STATE: `test.${id}.alerts-state`,
    TOPIC_ALERT_COMMANDS: `test.${id}.alert-commands`,
    TOPIC_ALERT_SITE_FLOWS: `test.${id}.alert-site-flows`,
    KAFKA_TOPIC_PARTITIONS: '3',
  })
  let pipeline: InProcessPipeline
  let normaliser: Started | undefined
  const buses: Bus[] = []
  const processors: AlertsProcessor[] = []
  const consumptions: Consumption[] = []
  const bins: TestDevice[] = []

  beforeAll(async () => {
    const setup = new KafkaBus(config.kafka, testLogger)
    buses.push(setup)
    await setup.ensureTopics(pipelineTopics(config.bus, config.alerts))
    for (let i = 0; i < 8; i++) bins.push(await registerDevice(config, { id: `bin-multi-${i}`, kind: 'waste_container', format: 'senml', tenant: 'multicity', site: 'centre' }))
    pipeline = await startInProcess(config, ['broker'])
    normaliser = await startNormaliserComponent(pipeline.platform)
    for (let i = 0; i < 2; i++) {
      const bus = new KafkaBus(config.kafka, testLogger)
      const processor = new AlertsProcessor({ config, bus, rules: new RulesSource(undefined, testLogger), logger: testLogger })
      buses.push(bus)
      processors.push(processor)
      consumptions.push(await processor.start())
    }
    // Both members in the group, with their partitions, before anything is published.
    await withKafkaAdmin(config.kafka.brokers, (admin) =>
      waitFor(
        async () => {
          const group = (await admin.describeGroups({ groups: [config.alerts.groups.processor] })).get(config.alerts.groups.processor)
          return (group?.state === 'Stable' || group?.state === 'STABLE') && group.members.size === 2
        },
        60_000,
        'a stable group of two processors',
      ),
    )
  }, 90_000)
  afterAll(async () => {
    for (const c of consumptions) await c.stop()
    await normaliser?.stop()
    await pipeline?.stop()
    for (const bus of buses) await bus.close()
    cleanup()
  })

  async function sendFill(minutes: number, fill: number): Promise<void> {
    for (const bin of bins) {
      const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
      await client.publishAsync(`devices/${bin.device.id}/senml`, JSON.stringify([{ bn: `urn:dev:${bin.device.id}:`, bt: (t0 + minutes * minute) / 1000, n: 'fillingLevel', u: '/', v: fill }]), { qos: 1 })
      await client.endAsync()
    }
  }

  async function events(done: (es: AlertEvent[]) => boolean): Promise<AlertEvent[]> {
    const decode = (records: { value: Buffer }[]): AlertEvent[] => records.map((r) => alertEvent.parse(JSON.parse(r.value.toString('utf8'))))
    return decode(await collectTopic(config, config.alerts.topics.events, (records) => done(decode(records)), 60_000))
  }

  // Eight devices: by their keys' hashes, partitions 0, 1 and 2 all carry some.
  test('each device has one owner: every alert fires, is acknowledged and resolves exactly once', async () => {
    await sendFill(0, 0.9)
    const fired = (await events((es) => es.filter((e) => e.phase === 'firing').length >= bins.length)).filter((e) => e.phase === 'firing')
    // The acknowledgements go to the commands topic keyed by device, as the API sends them.
    await buses[0]!.publish(
      fired.map((e) => alertCommandRecord(config.alerts.topics.commands, { schema: 'circular.alert-command/v1', command: 'ack', alertId: e.alertId, rule: 'fill', deviceId: e.deviceId, by: 'crew', at: t0 + 2 * minute })),
    )
    await events((es) => es.filter((e) => e.phase === 'acknowledged').length >= bins.length)
    await sendFill(5, 0.1)
    const all = await events((es) => es.filter((e) => e.phase === 'resolved').length >= bins.length)

    const byDevice = new Map<string, string[]>()
    for (const e of all) byDevice.set(e.deviceId, [...(byDevice.get(e.deviceId) ?? []), e.phase])
    expect(Object.fromEntries(byDevice)).toEqual(Object.fromEntries(bins.map((b) => [b.device.id, ['firing', 'acknowledged', 'resolved']])))
    expect(new Set(all.map((e) => `${e.alertId}/${e.phase}`)).size).toBe(all.length)
    // The work was shared: each instance applied some devices' records.
    expect(processors.map((p) => p.counters.get('applied') > 0)).toEqual([true, true])
  }, 180_000)
})
