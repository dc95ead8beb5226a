import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import type { IncomingRecord } from '../../core/bus/bus.js'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { groupIds } from '../../processors/group-ids.js'
import { deadLetterReasons } from '../../processors/dead-letter.js'
import { guardAgainstPoison } from '../../processors/poison-records.js'
import { startAuthInflux, type AuthInflux } from '../support/auth-influx.js'
import { groupGenerations } from '../support/kafka-broker-log.js'
import { collectTopic, isolatedConfig, registerDevice, temperaturePack, testLogger, waitFor } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'

describe('errors stay local on Kafka: no consumer restarts, as the broker counts group generations', () => {
  let influx: AuthInflux
  let pipeline: InProcessPipeline | undefined
  const cleanups: (() => void)[] = []
  beforeAll(async () => {
    influx = await startAuthInflux()
  })
  afterAll(async () => {
    await pipeline?.stop()
    await influx?.stop()
    for (const c of cleanups) c()
  })

  test('a store refusing the credentials holds back only the sink, which stores everything once they work; the footprint processor goes on meanwhile', async () => {
    const { config, cleanup } = isolatedConfig({ INFLUX_URL: influx.url, INFLUX_USERNAME: 'circular', INFLUX_PASSWORD: 's3cret-pass' })
    cleanups.push(cleanup)
    const bin = await registerDevice(config, { id: 'bin-auth', kind: 'waste_container', format: 'senml' })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'sink', 'footprint'])
    const sinkGroup = groupIds.storeSink(config.bus.groupPrefix)
    const footprintGroup = groupIds.footprint(config.bus.groupPrefix)
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
    const start = Math.floor(Date.now() / 3_600_000) * 3600 - 3600
    for (let p = 0; p < 30; p++) await client.publishAsync('devices/bin-auth/senml', temperaturePack('bin-auth', start + p * 10, 10, (i) => p * 10 + i), { qos: 1 })
    await client.endAsync()

    const bus = new KafkaBus(config.kafka, testLogger)
    try {
      const lagOf = async (group: string, topics: string[]) => (await bus.lag(group, topics)).reduce((sum, p) => sum + p.lag, 0)
      // The footprint processor, a consumer of the same readings, gets through them all.
      await waitFor(async () => (await lagOf(footprintGroup, [config.bus.topics.readings])) === 0 && (await bus.readAll(config.bus.topics.footprintPoints)).length > 0, 60_000, 'the footprint processor through every reading')
      // Meanwhile the sink has been refused for seconds and committed nothing of the readings.
      await new Promise((resolve) => setTimeout(resolve, 5000))
      expect(await lagOf(sinkGroup, [config.bus.topics.readings])).toBe(30)
      expect(pipeline.platform.counters.find((c) => c.component === 'store-sink')?.get('stored')).toBe(0)

      // The operator sets the store up; the sink's next try gets in.
      await influx.createUser('circular', 's3cret-pass')
      const created = await fetch(`${influx.url}/query`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('circular:s3cret-pass').toString('base64')}` }, body: new URLSearchParams({ q: `CREATE DATABASE "${config.influx.database}"` }) })
      expect(created.status).toBe(200)
      await waitFor(async () => (await lagOf(sinkGroup, [config.bus.topics.readings, config.bus.topics.footprintPoints])) === 0, 60_000, 'the sink through everything once the credentials work')
      const q = `SELECT count("temperature_c") FROM "waste_container" WHERE "device" = 'bin-auth'`
      const response = await fetch(`${influx.url}/query?db=${config.influx.database}&q=${encodeURIComponent(q)}`, { headers: { authorization: `Basic ${Buffer.from('circular:s3cret-pass').toString('base64')}` } })
      const body = (await response.json()) as { results: { series?: { values: [string, number][] }[] }[] }
      expect(body.results[0]?.series?.[0]?.values[0]?.[1]).toBe(300)
      expect(pipeline.platform.counters.find((c) => c.component === 'store-sink')?.get('stored')).toBe(300)
    } finally {
      await bus.close()
    }
    // Refused for seconds, handed over again and again: neither group ever rebalanced.
    expect(groupGenerations(sinkGroup)).toEqual([1])
    expect(groupGenerations(footprintGroup)).toEqual([1])
  }, 180_000)

  test('a record a handler fails on every time becomes a dead letter with the reason, the rest of its partition is handled, and the group keeps its generation', async () => {
    const { config, cleanup } = isolatedConfig()
    cleanups.push(cleanup)
    const bus = new KafkaBus(config.kafka, testLogger)
    const topic = `${config.bus.topics.readings}.poison`
    const groupId = `${config.bus.groupPrefix}-poison`
    try {
      await bus.ensureTopics([{ topic, partitions: 1 }, { topic: config.bus.topics.deadLetter, partitions: 1 }])
      await bus.publish(['r1', 'r2', 'poison', 'r4', 'r5'].map((v) => ({ topic, key: 'bin-1', value: Buffer.from(v), headers: {} })))
      const handled: string[] = []
      const handle = guardAgainstPoison(
        async (records: readonly IncomingRecord[]) => {
          if (records.some((r) => r.value.toString() === 'poison')) throw new Error('cannot handle this one')
          handled.push(...records.map((r) => r.value.toString()))
        },
        { bus, deadLetterTopic: config.bus.topics.deadLetter, stage: 'test', maxRecordBytes: config.bus.maxRecordBytes, logger: testLogger },
      )
      const consumption = await bus.consume({ groupId, topics: [topic], handleBatch: handle })
      const deadLetters = await collectTopic(config, config.bus.topics.deadLetter, (records) => records.length >= 1, 60_000)
      await waitFor(() => handled.includes('r5'), 30_000, 'the rest of the partition')
      await waitFor(async () => (await bus.lag(groupId, [topic]))[0]?.lag === 0, 30_000, 'the partition committed past the poison record')
      await consumption.stop()

      expect(handled.filter((v) => v !== 'poison').sort()).toEqual(['r1', 'r2', 'r4', 'r5'])
      expect(deadLetters).toHaveLength(1)
      expect(deadLetters[0]!.value.toString()).toBe('poison')
      const reasons = deadLetterReasons(deadLetters[0]!.headers)
      expect(reasons.map((r) => r.code)).toEqual(['INTERNAL'])
      expect(reasons[0]!.message).toContain('cannot handle this one')
      expect(groupGenerations(groupId)).toEqual([1])
    } finally {
      await bus.close()
    }
  }, 120_000)
})
