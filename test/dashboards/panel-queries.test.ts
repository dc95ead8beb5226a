import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { startAlertsComponent, type Started } from '../../cli/components.js'
import { InfluxSink } from '../../processors/influx-sink.js'
import { startHealthReporter, type HealthReporter } from '../../processors/health/health-reporter.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { isolatedConfig, registerDevice, testLogger, waitFor, type TestDevice } from '../support/pipeline.js'
import { committedDashboards, type DashboardJson } from './dashboard-files.js'
import { grafanaInterval, interpolate, regexSelection, type TimeRange } from './grafana-macros.js'
import { hasData, runInfluxQL } from './influx-query.js'

const hour = 3_600_000
// Thirty hours of history up to now, so that rollups, the 24-hour baseline and now-based health data all fall in one range.
const t0 = Math.floor(Date.now() / hour) * hour - 30 * hour
const iso = (ms: number): string => new Date(ms).toISOString()
const tenant = 'dashcity'

const id = randomBytes(4).toString('hex')
const { config, cleanup } = isolatedConfig({
  ALERT_PROCESSOR_GROUP: `test.${id}.alerts`,
  ALERT_NOTIFIER_GROUP: `test.${id}.notifier`,
  TOPIC_ALERTS: `test.${id}.alerts`,
  TOPIC_ALERTS_STATE: `test.${id}.alerts-state`,
  TOPIC_ALERT_COMMANDS: `test.${id}.alert-commands`,
  TOPIC_ALERT_DELIVERIES: `test.${id}.alert-deliveries`,
  KAFKA_TOPIC_PARTITIONS: '1',
  // The test asks for reports itself.
  HEALTH_REPORT_INTERVAL_MS: '600000',
})

async function count(statement: string): Promise<number> {
  const result = await runInfluxQL(config, statement)
  if (result.error) throw new Error(result.error)
  return Number(result.rows[0]?.[0] ?? 0)
}

describe('dashboards: every panel query returns data from a real pipeline run', () => {
  let pipeline: InProcessPipeline
  let alerts: Started
  let sink: InfluxSink
  let stopSink: () => Promise<void>
  let reporter: HealthReporter
  const d: Record<string, TestDevice> = {}

  beforeAll(async () => {
    const extra = (fraction: 'paper' | 'glass') => ({ tenant, site: 'depot-1', kind: 'waste_container' as const, extra: { wasteFraction: fraction } })
    d.paper = await registerDevice(config, { id: 'bin-paper', ...extra('paper') })
    d.glass = await registerDevice(config, { id: 'bin-glass', ...extra('glass') })
    d.meter = await registerDevice(config, { id: 'meter-1', kind: 'energy_meter', format: 'ngsi-ld', tenant, site: 'hall' })
    d.heat = await registerDevice(config, { id: 'heat-1', kind: 'heat_meter', format: 'ngsi-ld', tenant, site: 'hall' })
    d.gas = await registerDevice(config, { id: 'gas-1', kind: 'gas_meter', format: 'ngsi-ld', tenant, site: 'hall' })
    d.scale = await registerDevice(config, { id: 'scale-1', kind: 'weighing_device', format: 'ngsi-ld', tenant, site: 'rc-1' })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'footprint'])
    const { platform } = pipeline
    // The sink is started here rather than through cli/components so the test holds its delay recorder.
    sink = new InfluxSink({ config, bus: platform.bus, store: platform.store, logger: testLogger })
    platform.counters.push(sink.counters)
    const consumption = await sink.start()
    stopSink = () => consumption.stop()
    alerts = await startAlertsComponent(platform)
    reporter = await startHealthReporter({ config, store: platform.store, bus: platform.bus, counters: () => platform.counters, delays: () => [sink.delays], registry: platform.registry, logger: testLogger })
  }, 60_000)

  afterAll(async () => {
    await reporter?.stop()
    await alerts?.stop()
    await stopSink?.()
    await pipeline?.stop()
    cleanup()
  })

  async function publish(device: TestDevice, topicFormat: 'senml' | 'ngsi-ld', payloads: unknown[]): Promise<void> {
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: device.device.id, username: device.device.id, password: device.secret, protocolVersion: 4 })
    for (const p of payloads) await client.publishAsync(`devices/${device.device.id}/${topicFormat}`, JSON.stringify(p), { qos: 1 })
    await client.endAsync()
  }

  const senml = (deviceId: string, hours: number, records: object[]): object[] => [{ bn: `urn:dev:${deviceId}:`, bt: (t0 + hours * hour) / 1000, ...records[0] }, ...records.slice(1)]
  const fill = (v: number) => ({ n: 'fillingLevel', u: '/', v })

  async function simulateFleet(): Promise<void> {
    // Paper fills up (fill alert at 0.8), overflows at 1.0, is emptied, and fills again (forecast).
    const paper = [0.2, 0.35, 0.5, 0.65, 0.8, 1, 1, 0.1, 0.15, 0.25, 0.35]
    // Glass is emptied half full (a low-fill collection) and catches fire (75 °C).
    const glass = [0.3, 0.4, 0.45, 0.05, 0.1, 0.2, 0.3]
    // Weighing containers: the weight just before an emptying is the mass collected.
    await publish(d.paper!, 'senml', paper.map((v, i) => senml('bin-paper', i, [fill(v), { n: 'temperature', u: 'Cel', v: 20 }, { n: 'cargoWeight', u: 'kg', v: Math.round(v * 120) }])))
    await publish(d.glass!, 'senml', glass.map((v, i) => senml('bin-glass', i, [fill(v), { n: 'temperature', u: 'Cel', v: i === 5 ? 75 : 21 }])))
    // Refused by the normaliser (a fill level above 100 %): a dead letter with its reason.
    await publish(d.glass!, 'senml', [senml('bin-glass', 8, [fill(1.7)])])

    // Electricity register every hour for 30 hours, +10 kWh an hour with one reset; heat and gas three readings.
    const register = Array.from({ length: 30 }, (_, i) => (i < 20 ? 1000 + 10 * i : 10 * (i - 19)))
    await publish(d.meter!, 'ngsi-ld', register.map((kwh, i) => ({ id: 'urn:ngsi-ld:ACMeasurement:meter-1', type: 'ACMeasurement', totalActiveEnergyImport: { type: 'Property', value: kwh, unitCode: 'KWH', observedAt: iso(t0 + i * hour) } })))
    await publish(d.heat!, 'ngsi-ld', [500, 560, 640].map((kwh, i) => ({ id: 'urn:ngsi-ld:SmartMeteringObservation:heat-1', type: 'SmartMeteringObservation', totalConsumption: { type: 'Property', value: kwh, unitCode: 'KWH', observedAt: iso(t0 + i * 4 * hour) } })))
    await publish(d.gas!, 'ngsi-ld', [100, 104, 110].map((m3, i) => ({ id: 'urn:ngsi-ld:SmartMeteringObservation:gas-1', type: 'SmartMeteringObservation', totalConsumption: { type: 'Property', value: m3, unitCode: 'MTQ', observedAt: iso(t0 + i * 4 * hour) } })))

    // A recycling centre's weighbridge: inflows of two materials, outflows to four destinations, all in one hour.
    const flows: [string, 'in' | 'out', string | undefined, number][] = [
      ['glass', 'in', undefined, 900],
      ['paper', 'in', undefined, 600],
      ['glass', 'out', 'recycling', 700],
      ['paper', 'out', 'recycling', 300],
      ['paper', 'out', 'landfill', 100],
      ['paper', 'out', 'reuse', 50],
    ]
    await publish(d.scale!, 'ngsi-ld', flows.map(([kind, direction, destination, kg], i) => ({ id: `urn:ngsi-ld:WasteObserved:scale-1-${i}`, type: 'WasteObserved', dateObserved: iso(t0 + 2 * hour + i * 5 * 60_000), weight: kg, storedWasteKind: kind, direction, ...(destination ? { destination } : {}) })))

    // The pipeline is through once the last derived points of each kind are stored.
    await waitFor(async () => (await count(`SELECT count("filling_level") FROM "waste_container"`)) === paper.length + glass.length, 30_000, 'container readings')
    await waitFor(async () => (await count(`SELECT sum("weighings") FROM "material_flow_rollup" WHERE "interval" = 'hour'`)) === flows.length, 30_000, 'material flows')
    await waitFor(async () => (await count(`SELECT count("consumption_kwh") FROM "energy_rollup" WHERE "interval" = 'hour' AND "device" = 'meter-1'`)) >= 29, 30_000, 'energy rollups')
    await waitFor(async () => (await count(`SELECT count("alert_id") FROM "alerts" WHERE "rule" = 'fire'`)) > 0, 30_000, 'a fire alert')
    await waitFor(async () => (await count(`SELECT count("time_to_full_h") FROM "container_forecast" WHERE "device" = 'bin-paper'`)) > 0, 30_000, 'a time-to-full forecast')
    // Health: report until the dead letter has been tallied, which also writes counters, lag, delays and the inventory.
    await waitFor(async () => {
      await reporter.report()
      return (await count(`SELECT sum("records") FROM "pipeline_dead_letters" WHERE "code" = 'VALUE_OUT_OF_RANGE'`)) > 0
    }, 30_000, 'the dead letter in the health data')
  }

  /** Each variable's values from its own query, in dashboard order (later ones may use earlier ones). */
  async function variableSelections(dashboard: DashboardJson, range: TimeRange): Promise<Record<string, string>> {
    const selections: Record<string, string> = {}
    for (const v of dashboard.templating.list) {
      const result = await runInfluxQL(config, interpolate(v.query, range, '1h', selections))
      expect(result.error, `${dashboard.uid} $${v.name}`).toBeUndefined()
      // One row per measurement that has the value; Grafana lists each value once.
      const values = [...new Set(result.rows.map((row) => String(row[1])))]
      expect(values.length, `${dashboard.uid} $${v.name} has values`).toBeGreaterThan(0)
      selections[v.name] = regexSelection(values)
    }
    return selections
  }

  test('each panel query of each dashboard, with its variables set to every value they offer, runs without error and returns data', async () => {
    await simulateFleet()
    const range: TimeRange = { from: t0 - hour, to: Date.now() + hour }
    const failures: string[] = []
    let queries = 0
    for (const dashboard of committedDashboards()) {
      const variables = await variableSelections(dashboard, range)
      for (const panel of dashboard.panels) {
        for (const target of panel.targets) {
          const statement = interpolate(target.query, range, grafanaInterval(range, panel.interval), variables)
          const result = await runInfluxQL(config, statement)
          queries++
          if (result.error) failures.push(`${dashboard.uid} / ${panel.title} / ${target.refId}: ${result.error}\n  ${statement}`)
          else if (!hasData(result)) failures.push(`${dashboard.uid} / ${panel.title} / ${target.refId}: no data\n  ${statement}`)
        }
      }
    }
    expect(failures).toEqual([])
    expect(queries).toBeGreaterThan(40)
  }, 90_000)
})
