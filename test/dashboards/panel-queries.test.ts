import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { createPlatform, platformCloser, type Platform } from '../../cli/components.js'
import { platformStarters } from '../../cli/start.js'
import { pipelineGroups } from '../../processors/health/consumer-groups.js'
import { healthMeasurements } from '../../models/health-measurements.js'
import { startSimulation, type RunningSimulation, type SimulationStats } from '../../simulator/index.js'
import { grantReplayAllowance } from '../../simulator/replay-allowance.js'
import { isolatedConfig, registerDevice, testLogger, waitFor } from '../support/pipeline.js'
import { committedDashboards, type DashboardJson, type PanelJson } from './dashboard-files.js'
import { dashboardRange, grafanaInterval, interpolate, regexSelection, type TimeRange } from './grafana-macros.js'
import { hasData, runInfluxQL } from './influx-query.js'

const tenant = 'demo-city'
/**
 * Four days of the simulated city: from any start (weekday, hour) they hold an overflow that ends
 * when the blocked street is cleared (at most ~83 h in), collections, every outflow destination,
 * the fire, the meter swap and enough hours for the energy baseline.
 */
const historyHours = 96
const seed = 1

/**
 * The simulated city sends only messages the platform accepts (its own test holds it to that), so
 * the dead-letter panels get their data from one reading of a faulty sensor this test adds — and
 * only after every other panel has returned data from the simulated city alone.
 */
const fedByFaultySensor = ['circular-pipeline-health / Dead letters by reason', 'circular-pipeline-health / Dead-letter reasons']

/**
 * The energy anomaly (M5) needs the same hour a week before, more than the simulated history holds:
 * its panel gets its data from one electricity meter this test adds, with readings a week apart
 * (also only after every other panel has returned data from the simulated city alone).
 */
const fedByMeterOfLastWeek = ['circular-energy / Consumption against baseline']

const id = randomBytes(4).toString('hex')
const { config, cleanup } = isolatedConfig({
  ALERT_PROCESSOR_GROUP: `test.${id}.alerts`,
  ALERT_NOTIFIER_GROUP: `test.${id}.notifier`,
  TOPIC_ALERTS: `test.${id}.alerts`,
  TOPIC_ALERTS_STATE: `test.${id}.alerts-state`,
  TOPIC_ALERT_COMMANDS: `test.${id}.alert-commands`,
  TOPIC_ALERT_SITE_FLOWS: `test.${id}.alert-site-flows`,
  TOPIC_ALERT_DELIVERIES: `test.${id}.alert-deliveries`,
  KAFKA_TOPIC_PARTITIONS: '1',
  // The health reporter of `circular start` writes what the pipeline-health dashboard reads; here every second.
  HEALTH_REPORT_INTERVAL_MS: '1000',
})

async function scalar(statement: string): Promise<number> {
  const result = await runInfluxQL(config, statement)
  if (result.error) throw new Error(result.error)
  return Number(result.rows[0]?.[0] ?? 0)
}

const panelName = (dashboard: DashboardJson, panel: PanelJson): string => `${dashboard.uid} / ${panel.title}`

describe('dashboards: every panel query returns data after a simulator run through the whole platform', () => {
  let platform: Platform
  let simulation: RunningSimulation | undefined
  let stats: SimulationStats

  const counter = (component: string, name: string): number => platform.counters.find((c) => c.component === component)?.snapshot()[name] ?? 0

  /** Lag of every pipeline consumer group, upstream groups first, so a zero means their output has been consumed too. */
  async function pipelineLag(): Promise<number> {
    const groups = pipelineGroups(config)
    const sink = groups.filter((g) => g.groupId.endsWith('-influx-sink'))
    let total = 0
    for (const g of [...groups.filter((g) => !sink.includes(g)), ...sink]) for (const p of await platform.bus.lag!(g.groupId, g.topics)) total += p.lag
    return total
  }

  beforeAll(async () => {
    // Everything `circular start` runs, in its order: processors, alerts, notifier, API, broker, health reporter.
    platform = createPlatform(config, testLogger)
    for (const start of platformStarters) platform.started.push(await start(platform))
    const broker = platform.started.find((s) => s.name === 'broker')!.address!
    grantReplayAllowance(config.auth.tenantsFile, tenant)
    simulation = await startSimulation({ url: broker, registryFile: config.registryFile, tenant, seed, historyHours, speed: 50_000 }, testLogger)
    await waitFor(() => simulation!.stats().caughtUp && simulation!.stats().inFlight === 0, 150_000, 'the simulated history to be published and acknowledged')
    await simulation.stop()
    stats = simulation.stats()
    simulation = undefined

    // Acknowledged means Kafka holds it; then every processor and the sink catch up with the topics.
    await waitFor(() => counter('normaliser', 'received') >= stats.acknowledged, 120_000, 'the normaliser to read every simulated message')
    let quiet = 0
    await waitFor(async () => (quiet = (await pipelineLag()) === 0 ? quiet + 1 : 0) >= 2, 120_000, 'every consumer group to catch up')
    // A health report after the last point was stored: its counters add up to the sink's.
    await waitFor(async () => (await scalar(`SELECT sum("stored") FROM "${healthMeasurements.counters}" WHERE "component" = 'store-sink'`)) === counter('store-sink', 'stored'), 30_000, 'a health report of the whole run')
  }, 420_000)

  afterAll(async () => {
    await simulation?.stop()
    for (const s of [...(platform?.started ?? [])].reverse()) await s.stop()
    if (platform) await platformCloser(platform).stop()
    cleanup()
  })

  /** Each variable's values from its own query, in dashboard order (later ones may use earlier ones). */
  async function variableSelections(dashboard: DashboardJson, range: TimeRange): Promise<Record<string, string>> {
    const selections: Record<string, string> = {}
    for (const v of dashboard.templating.list) {
      const result = await runInfluxQL(config, interpolate(v.query, range, '1h', selections))
      expect(result.error, `${dashboard.uid} $${v.name}`).toBeUndefined()
      // One row per measurement that has the value; Grafana lists each value once.
      const values = [...new Set(result.rows.map((row) => String(row[1])))]
      expect(values.length, `${dashboard.uid} $${v.name} has values`).toBeGreaterThan(0)
      if (v.name === 'tenant') expect(values, `${dashboard.uid} $tenant`).toEqual([tenant])
      selections[v.name] = regexSelection(values)
    }
    return selections
  }

  /** Runs every target of the chosen panels over its dashboard's own time range; returns what failed and how many ran. */
  async function runPanels(which: (name: string) => boolean): Promise<{ failures: string[]; queries: number; panels: string[] }> {
    const failures: string[] = []
    const panels: string[] = []
    let queries = 0
    for (const dashboard of committedDashboards()) {
      const range = dashboardRange(dashboard.time, Date.now())
      const variables = await variableSelections(dashboard, range)
      for (const panel of dashboard.panels) {
        const name = panelName(dashboard, panel)
        if (!which(name)) continue
        panels.push(name)
        for (const target of panel.targets) {
          const statement = interpolate(target.query, range, grafanaInterval(range, panel.interval), variables)
          const result = await runInfluxQL(config, statement)
          queries++
          if (result.error) failures.push(`${name} / ${target.refId}: ${result.error}\n  ${statement}`)
          else if (!hasData(result)) failures.push(`${name} / ${target.refId}: no data\n  ${statement}`)
        }
      }
    }
    return { failures, queries, panels }
  }

  test('the simulated city should have run through the platform without a dead letter', () => {
    expect(stats).toMatchObject({ tenant, failed: 0, inFlight: 0 })
    expect(stats.acknowledged).toBe(stats.published)
    expect(counter('normaliser', 'deadLettered')).toBe(0)
    expect(counter('store-sink', 'deadLettered')).toBe(0)
  })

  test('each panel query of each dashboard, over its dashboard time range with its variables set to every value they offer, should return data from the simulated city', async () => {
    const { failures, queries, panels } = await runPanels((name) => !fedByFaultySensor.includes(name) && !fedByMeterOfLastWeek.includes(name))
    expect(failures).toEqual([])
    expect(panels.length).toBe(committedDashboards().reduce((n, d) => n + d.panels.length, 0) - fedByFaultySensor.length - fedByMeterOfLastWeek.length)
    expect(queries).toBeGreaterThan(40)
  }, 120_000)

  test('the dead-letter panels should return data once a faulty sensor has sent a reading the normaliser refuses', async () => {
    const faulty = await registerDevice(config, { id: `${tenant}-faulty-01`, tenant, site: 'binnenstad', kind: 'waste_container', extra: { wasteFraction: 'paper' } })
    const broker = platform.started.find((s) => s.name === 'broker')!.address!
    // The broker sees a newly registered device within a second.
    const client = await waitFor(() => mqtt.connectAsync(broker, { clientId: faulty.device.id, username: faulty.device.id, password: faulty.secret, protocolVersion: 4, reconnectPeriod: 0 }), 30_000, 'the faulty sensor to connect')
    // A fill level of 170 %: out of range, so a dead letter with its reason.
    await client.publishAsync(`devices/${faulty.device.id}/senml`, JSON.stringify([{ bn: `urn:dev:${faulty.device.id}:`, n: 'fillingLevel', u: '/', v: 1.7 }]), { qos: 1 })
    await client.endAsync()
    await waitFor(async () => (await scalar(`SELECT sum("records") FROM "${healthMeasurements.deadLetters}" WHERE "code" = 'VALUE_OUT_OF_RANGE'`)) === 1, 30_000, 'the dead letter in a health report')

    const { failures, panels } = await runPanels((name) => fedByFaultySensor.includes(name))
    expect(panels.sort()).toEqual([...fedByFaultySensor].sort())
    expect(failures).toEqual([])
  }, 90_000)

  test('the energy anomaly panel should return data once a meter has read the same hour a week apart', async () => {
    const meter = await registerDevice(config, { id: `${tenant}-meter-week-01`, tenant, site: 'binnenstad', kind: 'energy_meter', format: 'ngsi-ld' })
    const broker = platform.started.find((s) => s.name === 'broker')!.address!
    const client = await waitFor(() => mqtt.connectAsync(broker, { clientId: meter.device.id, username: meter.device.id, password: meter.secret, protocolVersion: 4, reconnectPeriod: 0 }), 30_000, 'the meter to connect')
    // 10 kWh in an hour a week ago, 15 kWh in the same hour now (within the dashboard's last 7 days): anomaly 0.5.
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000
    const weekAgo = hour - 7 * 24 * 3_600_000
    const readings: [number, number][] = [[weekAgo, 1000], [weekAgo + 3_600_000, 1010], [hour, 1110], [hour + 3_600_000, 1125]]
    for (const [time, kwh] of readings) {
      const entity = { id: `urn:ngsi-ld:ACMeasurement:${meter.device.id}`, type: 'ACMeasurement', totalActiveEnergyImport: { type: 'Property', value: kwh, unitCode: 'KWH', observedAt: new Date(time).toISOString() } }
      await client.publishAsync(`devices/${meter.device.id}/ngsi-ld`, JSON.stringify(entity), { qos: 1 })
    }
    await client.endAsync()
    await waitFor(async () => (await scalar(`SELECT max("anomaly") FROM "energy_anomaly" WHERE "device" = '${meter.device.id}'`)) === 0.5, 30_000, 'the anomaly point')

    const { failures, panels } = await runPanels((name) => fedByMeterOfLastWeek.includes(name))
    expect(panels).toEqual(fedByMeterOfLastWeek)
    expect(failures).toEqual([])
  }, 90_000)
})
