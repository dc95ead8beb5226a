import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import type { Config } from '../../core/config.js'
import { alertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { collectTopic, ensureAlertTopics, isolatedConfig, registerDevice, type TestDevice } from '../support/pipeline.js'

const hour = 3_600_000
const week = 168 * hour
/** A Monday, 00:00 UTC, some weeks in the past. */
const monday = Date.parse('2026-10-26T00:00:00Z')
const day1 = Date.parse('2026-11-10T00:00:00Z')
const iso = (time: number): string => new Date(time).toISOString()

/** Alert topics of this file only; one partition, so the events come out in the order they were made. */
function alertsEnv(rulesFile: string): Record<string, string> {
  const id = randomBytes(4).toString('hex')
  return {
    ALERT_PROCESSOR_GROUP: `test.${id}.alerts`,
    TOPIC_ALERTS: `test.${id}.alerts`,
    TOPIC_ALERTS_STATE: `test.${id}.alerts-state`,
    TOPIC_ALERT_COMMANDS: `test.${id}.alert-commands`,
    TOPIC_ALERT_SITE_FLOWS: `test.${id}.alert-site-flows`,
    KAFKA_TOPIC_PARTITIONS: '1',
    ALERT_RULES_FILE: rulesFile,
  }
}

async function connect(pipeline: InProcessPipeline, device: TestDevice): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(pipeline.mqttUrl, { clientId: device.device.id, username: device.device.id, password: device.secret, protocolVersion: 4 })
}

async function alertEvents(config: Config, done: (events: AlertEvent[]) => boolean): Promise<AlertEvent[]> {
  const decode = (records: { value: Buffer }[]): AlertEvent[] => records.map((r) => alertEvent.parse(JSON.parse(r.value.toString('utf8'))))
  return decode(await collectTopic(config, config.alerts.topics.events, (records) => done(decode(records)), 60_000))
}

describe('alerts: energy anomaly and site mass balance from MQTT readings', () => {
  const rulesFile = join(tmpdir(), `circular-anomaly-rules-${randomBytes(4).toString('hex')}.json`)
  const { config, cleanup } = isolatedConfig(alertsEnv(rulesFile))
  let pipeline: InProcessPipeline
  const devices: Record<string, TestDevice> = {}

  beforeAll(async () => {
    writeFileSync(
      rulesFile,
      JSON.stringify({
        version: 1,
        tenants: {
          energycity: { kinds: { energy_meter: { energy_anomaly: { baselineWeeks: 2, minWeeks: 2 } } } },
          masscity: { kinds: { weighing_device: { mass_balance: { enabled: true, windowHours: 24, closeAfterMinutes: 60, tolerance: 0.05, minKg: 50 } } } },
        },
      }),
    )
    devices.meter = await registerDevice(config, { id: 'meter-anomaly', kind: 'energy_meter', format: 'senml', tenant: 'energycity', site: 'school' })
    devices.bridge = await registerDevice(config, { id: 'bridge-9', kind: 'weighing_device', format: 'ngsi-ld', tenant: 'masscity', site: 'rc-9' })
    devices.skip = await registerDevice(config, { id: 'skip-9', kind: 'waste_container', format: 'senml', tenant: 'masscity', site: 'rc-9' })
    await ensureAlertTopics(config)
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'alerts'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    rmSync(rulesFile, { force: true })
    cleanup()
  })

  test('an hour far above the same hour of the two weeks before raises, a normal hour resolves; a register reset raises nothing', async () => {
    // Hourly register readings, 1 kWh an hour, one SenML pack per day. The register is reset in
    // week 1 (to 0, then counting on: the hour still counts 1 kWh). In week 2, Monday 09:00–10:00
    // takes 4 kWh: +300 % against the median of 1 kWh; 10:00–11:00 is back at 1 kWh.
    const readings: [time: number, kwh: number][] = []
    let kwh = 5000
    for (let t = monday; t <= monday + 2 * week + 11 * hour; t += hour) {
      if (t === monday + week + 2 * 24 * hour + 12 * hour) kwh = 1
      readings.push([t, kwh])
      kwh += t === monday + 2 * week + 9 * hour ? 4 : 1
    }
    const client = await connect(pipeline, devices.meter!)
    for (let i = 0; i < readings.length; i += 24) {
      const day = readings.slice(i, i + 24)
      const pack = day.map(([t, v], j) => ({ ...(j === 0 ? { bn: 'urn:dev:meter-anomaly:', bt: day[0]![0] / 1000 } : {}), n: 'totalActiveEnergyImport', u: 'kWh', v, t: (t - day[0]![0]) / 1000 }))
      await client.publishAsync(`devices/meter-anomaly/senml`, JSON.stringify(pack), { qos: 1 })
    }
    await client.endAsync()

    const events = (await alertEvents(config, (es) => es.some((e) => e.rule === 'energy_anomaly' && e.phase === 'resolved'))).filter((e) => e.deviceId === 'meter-anomaly')
    expect(events.map((e) => [e.rule, e.phase, iso(e.at)])).toEqual([
      ['energy_anomaly', 'firing', iso(monday + 2 * week + 10 * hour)],
      ['energy_anomaly', 'resolved', iso(monday + 2 * week + 11 * hour)],
    ])
    expect(events[0]).toMatchObject({ tenant: 'energycity', site: 'school', kind: 'energy_meter', value: 4 })
    expect(events[0]!.reason).toBe('4 kWh in the hour from 2026-11-09T09:00:00.000Z, +300 % against the median 1 kWh of the same hour in 2 weeks')
  }, 120_000)

  test('a day with mass unaccounted for at a recycling site raises one site alert; a balanced day resolves it', async () => {
    const bridge = await connect(pipeline, devices.bridge!)
    const skip = await connect(pipeline, devices.skip!)
    let n = 0
    const weigh = async (hours: number, direction: 'in' | 'out', kg: number): Promise<void> => {
      const entity = { id: `urn:ngsi-ld:WasteObserved:rc-9-${n++}`, type: 'WasteObserved', dateObserved: iso(day1 + hours * hour), weight: kg, storedWasteKind: 'paper', direction, ...(direction === 'out' ? { destination: 'recycling' } : {}) }
      await bridge.publishAsync('devices/bridge-9/ngsi-ld', JSON.stringify(entity), { qos: 1 })
    }
    const cargo = async (hours: number, kg: number): Promise<void> => {
      await skip.publishAsync('devices/skip-9/senml', JSON.stringify([{ bn: 'urn:dev:skip-9:', bt: (day1 + hours * hour) / 1000, n: 'cargoWeight', u: 'kg', v: kg }]), { qos: 1 })
    }
    // Day 1: 600 + 400 kg in, 200 kg out, the skip from 100 to 400 kg (+300): 500 kg unaccounted for.
    await cargo(7, 100)
    await weigh(8, 'in', 600)
    await weigh(9, 'in', 400)
    await weigh(9.5, 'out', 200)
    await cargo(10, 400)
    // Day 2: 400 kg in, all of it into the skip (400 → 800 kg): balanced. Its first weighing closes day 1.
    await weigh(24 + 8, 'in', 400)
    await cargo(24 + 10, 800)
    // Day 3: a weighing that closes day 2.
    await weigh(48 + 9, 'in', 100)
    await bridge.endAsync()
    await skip.endAsync()

    const events = (await alertEvents(config, (es) => es.some((e) => e.rule === 'mass_balance' && e.phase === 'resolved'))).filter((e) => e.rule === 'mass_balance')
    expect(events.map((e) => [e.phase, e.deviceId, iso(e.at)])).toEqual([
      ['firing', 'site:masscity/rc-9', '2026-11-11T00:00:00.000Z'],
      ['resolved', 'site:masscity/rc-9', '2026-11-12T00:00:00.000Z'],
    ])
    expect(events[0]).toMatchObject({ tenant: 'masscity', site: 'rc-9', kind: 'weighing_device', value: 500, location: { type: 'Point', coordinates: [4.42173, 51.21301] } })
    expect(events[0]!.reason).toBe('1000 kg in, 200 kg out, stock +300 kg from 2026-11-10T00:00:00.000Z to 2026-11-11T00:00:00.000Z: 500 kg unaccounted for, more than 50 kg')
  }, 120_000)
})
