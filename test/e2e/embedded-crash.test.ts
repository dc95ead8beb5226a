import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, test } from 'vitest'
import { startSimulation, type RunningSimulation, type SimulationStats } from '../../simulator/index.js'
import { CityEngine } from '../../simulator/engine.js'
import { planFleet } from '../../simulator/fleet.js'
import { grantReplayAllowance } from '../../simulator/replay-allowance.js'
import { scenarioFor } from '../../simulator/scenario.js'
import { freePort, startPlatformChild, type PlatformChild } from '../support/platform-child.js'
import { testLogger, waitFor } from '../support/pipeline.js'

/**
 * `circular start` on its embedded bus and store, killed with SIGKILL while the city simulator
 * replays its history, then started again on the same state directory. The simulated devices
 * reconnect and resend what was not acknowledged. Everything the platform holds afterwards must
 * equal what an uninterrupted run of the same city holds: a reading lost shows as a missing
 * value, one counted twice as a larger rollup.
 */

const hour = 3_600_000
const tenant = 'demo-city'
const seed = 11
const historyHours = 48
/** 48 simulated hours in about three seconds: busy enough that the kill finds records between the hops not yet committed. */
const speed = 60_000
/** Simulated time ends here, a whole minute in the past, so both runs publish the same messages. */
const end = Math.floor(Date.now() / 60_000) * 60_000 - 60_000
const startAt = end - historyHours * hour
const footprintMetrics = ['energy_kwh', 'gas_m3', 'electricity_co2e', 'waste_collected_kg', 'collections', 'waste_received_kg', 'treatment_co2e', 'overflow_events', 'fill_level_mean', 'temperature_max_c']
/** Written from the wall clock (health reports, the registry snapshot), not from the city's data. */
const wallClockMeasurements = new Set(['pipeline_counters', 'pipeline_delay', 'pipeline_lag', 'pipeline_dead_letters', 'device_inventory'])
const readingMeasurements = ['waste_container', 'waste_weighing', 'energy_ac', 'utility_meter', 'device_health']

/** The city's messages up to `end`, computed offline from the same seed, fleet and scenario. */
function expectedMessages(): Map<string, number> {
  const engine = new CityEngine(planFleet(tenant, 1, seed), tenant, seed, scenarioFor(startAt, historyHours))
  const perDevice = new Map<string, number>()
  for (const message of engine.takeUntil(end)) perDevice.set(message.deviceId, (perDevice.get(message.deviceId) ?? 0) + 1)
  return perDevice
}

/**
 * The simulator's wall clock, held still until the simulation has connected, then running until
 * simulated time reaches `end` and stopping there: the replay has a fixed last message however
 * long the run takes.
 */
function replayClock(): { now: () => number; release: () => void } {
  const replayMs = (end - startAt) / speed
  const base = end - replayMs - 1000
  let releasedAt: number | undefined
  return { now: () => (releasedAt === undefined ? base : Math.min(base + Date.now() - releasedAt, end)), release: () => (releasedAt = Date.now()) }
}

interface Outcome {
  readonly simulator: SimulationStats
  /** Acknowledged before the SIGKILL, for the crash run. */
  readonly acknowledgedAtKill?: number
  /** Counters of the restarted process: what it took from the devices, and what its processors handled. */
  readonly afterRestart?: ReadonlyMap<string, number>
  readonly footprint: Record<string, unknown>
  readonly alerts: unknown
  /** Every value the store holds up to `end`: `measurement tags field` → `time=value` lines. */
  readonly stored: Map<string, string[]>
  /** Consumer-group lag left in the bus file after the platform stopped. */
  readonly lag: { group: string; topic: string; partition: number; lag: number }[]
}

async function metrics(child: PlatformChild): Promise<Map<string, number>> {
  const response = await fetch(`${child.apiUrl}/metrics`, { headers: { authorization: `Bearer ${child.adminKey()}` } })
  return new Map([...(await response.text()).matchAll(/^(circular_\w+) (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]))
}

/** The pipeline is idle once its counters stop moving (the API's own request counters aside). */
async function settled(child: PlatformChild): Promise<void> {
  let previous = ''
  await waitFor(
    async () => {
      const current = JSON.stringify([...(await metrics(child))].filter(([name]) => !name.startsWith('circular_api_')))
      const same = current === previous
      previous = current
      if (!same) await new Promise((resolve) => setTimeout(resolve, 1500))
      return same
    },
    60_000,
    'the pipeline to settle',
  )
}

/** Read-only, so looking cannot change what the platform left behind. */
function storedValues(stateDir: string): Map<string, string[]> {
  const db = new Database(join(stateDir, 'store.sqlite'), { readonly: true, fileMustExist: true })
  try {
    const rows = db
      .prepare<[number], { measurement: string; tags: string; field: string; time: number; value: unknown }>(
        'SELECT s.measurement, s.tag_set AS tags, f.name AS field, v.time, v.value FROM value v JOIN series s ON s.id = v.series_id JOIN field f ON f.id = v.field_id WHERE v.time <= ? ORDER BY 1, 2, 3, 4',
      )
      .all(end)
    const values = new Map<string, string[]>()
    for (const row of rows) {
      if (wallClockMeasurements.has(row.measurement)) continue
      const key = `${row.measurement} ${row.tags} ${row.field}`
      let list = values.get(key)
      if (list === undefined) values.set(key, (list = []))
      list.push(`${new Date(row.time).toISOString()}=${String(row.value)}`)
    }
    return values
  } finally {
    db.close()
  }
}

/** Per group, topic and partition: records written that the group has not committed. */
function lagLeft(stateDir: string): Outcome['lag'] {
  const db = new Database(join(stateDir, 'bus.sqlite'), { readonly: true, fileMustExist: true })
  try {
    return db
      .prepare<[], Outcome['lag'][number]>(
        `SELECT g.group_id AS "group", t.name AS topic, e.partition, e.next_offset - COALESCE(o.next_offset, 0) AS lag
         FROM (SELECT DISTINCT group_id, topic_id FROM group_offset) g
         JOIN topic t ON t.id = g.topic_id
         JOIN partition_end e ON e.topic_id = g.topic_id
         LEFT JOIN group_offset o ON o.group_id = g.group_id AND o.topic_id = g.topic_id AND o.partition = e.partition
         WHERE e.next_offset > COALESCE(o.next_offset, 0)`,
      )
      .all()
  } finally {
    db.close()
  }
}

describe('embedded platform killed (SIGKILL) during the simulator run and restarted: no reading lost, none counted twice', () => {
  const dirs: string[] = []
  const children: PlatformChild[] = []
  const simulations: RunningSimulation[] = []
  afterAll(async () => {
    await Promise.all(simulations.map((s) => s.stop()))
    await Promise.all(children.map((c) => c.kill('SIGKILL')))
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  const perDevice = expectedMessages()
  const expected = [...perDevice.values()].reduce((a, b) => a + b, 0)

  /** One run of the city against a fresh platform; with `crashAt`, SIGKILL once that share is acknowledged. */
  async function runCity(crashAt?: number): Promise<Outcome> {
    const stateDir = mkdtempSync(join(tmpdir(), 'circular-embedded-crash-'))
    dirs.push(stateDir)
    const ports = { stateDir, mqttPort: await freePort(), apiPort: await freePort() }
    grantReplayAllowance(join(stateDir, 'tenants.json'), tenant)
    let child = startPlatformChild(ports)
    children.push(child)
    await child.banner()

    const clock = replayClock()
    const simulation = await startSimulation({ url: child.mqttUrl, registryFile: join(stateDir, 'registry.json'), seed, historyHours, startAt, speed, tenant }, testLogger, clock.now)
    simulations.push(simulation)
    clock.release()

    let acknowledgedAtKill: number | undefined
    if (crashAt !== undefined) {
      await waitFor(() => simulation.stats().acknowledged >= expected * crashAt, 60_000, `${crashAt * 100} % of the messages acknowledged`)
      await child.kill('SIGKILL')
      acknowledgedAtKill = simulation.stats().acknowledged
      // Same state directory and ports: the devices find the platform where it was.
      child = startPlatformChild(ports)
      children.push(child)
      await child.banner()
    }
    await waitFor(() => simulation.stats().acknowledged === expected && simulation.stats().inFlight === 0, 90_000, `all ${expected} messages acknowledged`)
    await simulation.stop()
    const stats = simulation.stats()
    await settled(child)
    const afterRestart = crashAt === undefined ? undefined : await metrics(child)

    const span = `tenant=${tenant}&from=${new Date(Math.floor(startAt / hour) * hour).toISOString()}&to=${new Date(end).toISOString()}`
    const footprint: Record<string, unknown> = {}
    for (const metric of footprintMetrics) footprint[metric] = await child.api(`/v1/footprint?metric=${metric}&interval=hour&${span}`)
    const alerts = await child.api(`/v1/alerts?${span}`)

    await child.kill('SIGTERM')
    expect(child.process.exitCode).toBe(0)
    return { simulator: stats, acknowledgedAtKill, afterRestart, footprint, alerts, stored: storedValues(stateDir), lag: lagLeft(stateDir) }
  }

  test('the crashed run stores and rolls up exactly what an uninterrupted run does', async () => {
    const reference = await runCity()
    const crashed = await runCity(0.4)

    // Every message of the replay was published and acknowledged in both runs.
    for (const run of [reference, crashed]) {
      expect(run.simulator).toMatchObject({ published: expected, acknowledged: expected, failed: 0, inFlight: 0, caughtUp: true })
      expect(run.lag).toEqual([])
    }
    // The kill hit the middle of the replay: some messages were acknowledged before it, the
    // rest by the restarted process, after the devices had reconnected.
    expect(crashed.acknowledgedAtKill).toBeGreaterThan(0)
    expect(crashed.acknowledgedAtKill).toBeLessThan(expected)
    const after = (name: string): number => crashed.afterRestart?.get(`circular_${name}_total`) ?? 0
    expect(after('ingest_accepted')).toBeGreaterThanOrEqual(expected - crashed.acknowledgedAtKill!)
    expect(crashed.simulator.reconnects).toBeGreaterThan(0)
    console.info(
      `embedded crash: ${expected} messages; ${crashed.acknowledgedAtKill} acknowledged before SIGKILL; after the restart ${after('ingest_accepted')} accepted from devices, ` +
        `${after('normaliser_received')} raw records normalised, footprint ${after('footprint_received')} received / ${after('footprint_skipped_already_applied')} skipped as applied, ` +
        `alerts ${after('alerts_received')} received / ${after('alerts_skipped_already_applied')} skipped as applied; ${crashed.simulator.reconnects} reconnects; ${reference.stored.size} stored series fields`,
    )

    // The uninterrupted run holds every message: each device's observation times, once each.
    for (const [deviceId, count] of perDevice) {
      const times = new Set<string>()
      for (const [key, values] of reference.stored) {
        if (readingMeasurements.includes(key.split(' ')[0]!) && key.includes(`["device","${deviceId}"]`)) for (const value of values) times.add(value.split('=')[0]!)
      }
      expect(times.size, deviceId).toBe(count)
    }

    // Readings per device and field, rollups, forecasts and alert points: equal, value for value.
    const differences = [...new Set([...reference.stored.keys(), ...crashed.stored.keys()])]
      .filter((key) => JSON.stringify(reference.stored.get(key)) !== JSON.stringify(crashed.stored.get(key)))
      .map((key) => ({ key, reference: reference.stored.get(key)?.length ?? 0, crashed: crashed.stored.get(key)?.length ?? 0, firstDifference: firstDifference(reference.stored.get(key) ?? [], crashed.stored.get(key) ?? []) }))
    expect(differences.slice(0, 10)).toEqual([])
    expect(crashed.stored.size).toBe(reference.stored.size)

    // What analysts see through the API: footprint rollups over the replayed span and the alerts.
    for (const metric of ['energy_kwh', 'waste_collected_kg', 'collections', 'waste_received_kg']) {
      expect((reference.footprint[metric] as { rows: unknown[] }).rows.length, metric).toBeGreaterThan(0)
    }
    expect(crashed.footprint).toEqual(reference.footprint)
    expect((reference.alerts as { alerts: unknown[] }).alerts.length).toBeGreaterThan(0)
    expect(crashed.alerts).toEqual(reference.alerts)
  }, 180_000)
})

function firstDifference(a: readonly string[], b: readonly string[]): string {
  const i = a.findIndex((value, index) => value !== b[index])
  const at = i < 0 ? a.length : i
  return `#${at}: ${a[at] ?? '(none)'} vs ${b[at] ?? '(none)'}`
}
