import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { AedesOptions } from 'aedes'
import { afterEach, describe, expect, test } from 'vitest'
import { CityEngine } from '../../simulator/engine.js'
import { planFleet } from '../../simulator/fleet.js'
import type { Progress } from '../../simulator/progress.js'
import { scenarioFor } from '../../simulator/scenario.js'
import { startSimulation, type RunningSimulation } from '../../simulator/simulation.js'
import type { SimulatedMessage } from '../../simulator/sources.js'
import { capturedLogger } from '../support/log-capture.js'
import { startMqttBroker, type TestMqttBroker, type TestMqttBrokerOptions } from '../support/mqtt-broker.js'
import { waitFor } from '../support/pipeline.js'

/**
 * The simulation runs on the wall clock it is given: each test moves it by hand, so what is due
 * at each step is exact while the ticks, MQTT and the PUBACKs stay real.
 */
const T0 = Date.parse('2026-03-02T10:00:00Z')
const minute = 60_000
const tenant = 'sim-city'
const seed = 5
const speed = 60
/** One hour of history before T0 (a whole minute, so the default start is exactly this). */
const startAt = T0 - 60 * minute
const plans = planFleet(tenant, 1, seed)

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function wallClock(start: number) {
  let wall = start
  return { now: () => wall, set: (ms: number) => void (wall = ms) }
}

/** Simulated time for a wall time, for a run whose clock started at `wallStart` from `from`. */
const simulatedAt = (wall: number, wallStart = T0, from = startAt): number => Math.min(from + (wall - wallStart) * speed, wall)

/** The same city computed offline: the messages due up to `until`, after those up to `after`. */
function due(until: number, after = Number.NEGATIVE_INFINITY): SimulatedMessage[] {
  const engine = new CityEngine(plans, tenant, seed, scenarioFor(startAt, 1))
  if (after > Number.NEGATIVE_INFINITY) engine.takeUntil(after)
  return engine.takeUntil(until)
}

/** Messages per device in their order; across devices the broker may see them interleaved. */
function perDevice(lines: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const line of lines) (out[line.slice(0, line.indexOf(' '))] ??= []).push(line)
  return out
}
const lineOf = (m: SimulatedMessage): string => `${m.deviceId} ${m.topic} ${m.payload}`

/** A broker that holds every PUBACK back until `release`, then acknowledges at once. */
function heldAcknowledgements(): { authorizePublish: NonNullable<AedesOptions['authorizePublish']>; held: () => number; release(): void } {
  const waiting: (() => void)[] = []
  let holding = true
  return {
    authorizePublish: (_client, _packet, done) => (holding ? waiting.push(() => done(null)) : done(null)),
    held: () => waiting.length,
    release: () => {
      holding = false
      for (const done of waiting.splice(0)) done()
    },
  }
}

async function setup(brokerOptions: TestMqttBrokerOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'circular-simulation-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const broker: TestMqttBroker = await startMqttBroker(brokerOptions)
  cleanups.push(() => broker.close())
  const options = { url: broker.url, registryFile: join(dir, 'registry.json'), tenant, seed, speed, historyHours: 1 }
  const progressFile = join(dir, 'simulator-progress.json')
  const start = async (wall: { now: () => number }, extra: { startAt?: number; maxInFlight?: number; drainTimeoutMs?: number } = {}) => {
    const log = capturedLogger('info')
    const simulation: RunningSimulation = await startSimulation({ ...options, ...extra }, log.logger, wall.now)
    cleanups.push(() => simulation.stop())
    return { simulation, lines: log.lines }
  }
  const progress = (): Progress => JSON.parse(readFileSync(progressFile, 'utf8')) as Progress
  return { broker, start, progress, progressFile }
}

const kindsOf = (messages: readonly SimulatedMessage[]): Record<string, number> => {
  const kindOf = new Map(plans.map((p) => [p.id, p.kind]))
  const out: Record<string, number> = {}
  for (const m of messages) out[kindOf.get(m.deviceId)!] = (out[kindOf.get(m.deviceId)!] ?? 0) + 1
  return out
}
const iso = (ms: number): string => new Date(ms).toISOString()

describe('startSimulation', () => {
  test('should replay the history at its speed and no further than the clock, each device in order on its own connection, then say it caught up', async () => {
    const { broker, start } = await setup()
    const wall = wallClock(T0)
    const before = Date.now()
    const { simulation, lines } = await start(wall)
    // Devices it registered just now: the broker re-reads the registry within a second.
    expect(Date.now() - before).toBeGreaterThanOrEqual(1090)
    expect(simulation.stats()).toMatchObject({ tenant, devices: 16, published: 0, simulatedStart: iso(startAt), simulatedNow: iso(startAt), caughtUp: false })

    wall.set(T0 + 30_000)
    const firstHalf = due(simulatedAt(T0 + 30_000))
    expect(firstHalf.length).toBeGreaterThan(16)
    await waitFor(() => simulation.stats().acknowledged === firstHalf.length && broker.published.length === firstHalf.length, 10_000, 'the first half hour acknowledged')
    // The clock stands still, so nothing more is due.
    await sleep(100)
    expect(broker.published).toHaveLength(firstHalf.length)
    expect(perDevice(broker.published)).toEqual(perDevice(firstHalf.map(lineOf)))
    expect([...broker.clients].sort()).toEqual(plans.map((p) => p.id).sort())
    expect(simulation.stats()).toMatchObject({
      published: firstHalf.length,
      acknowledged: firstHalf.length,
      failed: 0,
      inFlight: 0,
      publishedByKind: kindsOf(firstHalf),
      simulatedNow: iso(startAt + 30 * minute),
      caughtUp: false,
    })

    // Past the wall clock's own time: the history is replayed and the simulation keeps pace.
    wall.set(T0 + 62_000)
    const all = due(T0 + 62_000)
    await waitFor(() => simulation.stats().caughtUp, 10_000, 'caught up')
    await waitFor(() => broker.published.length === all.length, 10_000, 'every message up to now')
    expect(perDevice(broker.published)).toEqual(perDevice(all.map(lineOf)))
    expect(simulation.stats()).toMatchObject({ published: all.length, publishedByKind: kindsOf(all), simulatedNow: iso(T0 + 62_000), caughtUp: true })
    expect(lines.filter((l) => l.msg === 'simulated history replayed; continuing in real time')).toEqual([expect.objectContaining({ level: 30, published: all.length })])
    wall.set(T0 + 20 * minute)
    expect(simulation.stats().simulatedNow).toBe(iso(T0 + 20 * minute))

    const scenario = scenarioFor(startAt, 1)
    expect(simulation.stats().scenario).toEqual({ counterResetAt: iso(scenario.counterResetAt), fireAt: iso(scenario.fireAt), silentFrom: iso(scenario.silentFrom), lowBatteryAt: iso(scenario.lowBatteryAt) })
    expect(simulation.stats().incidents).toEqual(Object.fromEntries(plans.filter((p) => p.role !== 'regular').map((p) => [p.role, p.id])))
  })

  test('a restart of the same city should resume after the last acknowledged message with its start kept; one given startAt should start over', async () => {
    const { broker, start, progress } = await setup()
    const first = wallClock(T0)
    const run1 = await start(first)
    first.set(T0 + 30_000)
    const firstHalf = due(simulatedAt(T0 + 30_000))
    await waitFor(() => run1.simulation.stats().acknowledged === firstHalf.length, 10_000, 'the first half hour acknowledged')
    await run1.simulation.stop()
    const through = firstHalf.at(-1)!.time
    expect(progress()).toEqual({ version: 1, tenant, seed, scale: 1, startAt, historyHours: 1, acknowledgedThrough: through })
    expect(perDevice(broker.published)).toEqual(perDevice(firstHalf.map(lineOf)))
    broker.published.length = 0

    // Ten minutes later, when a fresh start would begin at 09:10.
    const T1 = T0 + 10 * minute
    const second = wallClock(T1)
    const run2 = await start(second)
    expect(run2.lines.find((l) => l.msg === 'city simulation started')).toMatchObject({ registered: 0, from: iso(startAt), resumedAfter: iso(through) })
    expect(run2.simulation.stats()).toMatchObject({ simulatedStart: iso(startAt), simulatedNow: iso(through), published: 0 })
    second.set(T1 + 30_000)
    const resumed = due(simulatedAt(T1 + 30_000, T1, through), through)
    expect(resumed.length).toBeGreaterThan(0)
    await waitFor(() => run2.simulation.stats().acknowledged === resumed.length && broker.published.length === resumed.length, 10_000, 'the resumed half hour acknowledged')
    await sleep(100)
    expect(perDevice(broker.published)).toEqual(perDevice(resumed.map(lineOf)))
    expect(run2.simulation.stats().scenario).toEqual(run1.simulation.stats().scenario)
    await run2.simulation.stop()
    broker.published.length = 0

    const third = wallClock(T1 + 5 * minute)
    const run3 = await start(third, { startAt })
    expect(run3.lines.find((l) => l.msg === 'city simulation started')?.resumedAfter).toBeUndefined()
    third.set(T1 + 5 * minute + 30_000)
    await waitFor(() => run3.simulation.stats().acknowledged === firstHalf.length && broker.published.length === firstHalf.length, 10_000, 'the first half hour again')
    expect(perDevice(broker.published)).toEqual(perDevice(firstHalf.map(lineOf)))
  })

  test('progress should be saved every 2 s of wall time while running, through the last acknowledged message', async () => {
    const { start, progress, progressFile } = await setup()
    const wall = wallClock(T0)
    const { simulation } = await start(wall)
    expect(existsSync(progressFile)).toBe(false)
    wall.set(T0 + 30_000)
    const firstHalf = due(simulatedAt(T0 + 30_000))
    await waitFor(() => simulation.stats().acknowledged === firstHalf.length, 10_000, 'the first half hour acknowledged')
    // Saved in the tick that published them, before any PUBACK: nothing was acknowledged yet.
    expect(progress().acknowledgedThrough).toBe(startAt - 1)

    wall.set(T0 + 31_999)
    const upTo = due(simulatedAt(T0 + 31_999))
    await waitFor(() => simulation.stats().acknowledged === upTo.length, 10_000, 'the next two minutes acknowledged')
    await sleep(100)
    // Less than 2 s of wall time since the last save.
    expect(progress().acknowledgedThrough).toBe(startAt - 1)
    wall.set(T0 + 32_000)
    await waitFor(() => progress().acknowledgedThrough !== startAt - 1, 5000, 'the next save')
    expect(progress()).toEqual({ version: 1, tenant, seed, scale: 1, startAt, historyHours: 1, acknowledgedThrough: upTo.at(-1)!.time })
  })

  test('no more than maxInFlight messages should wait for their PUBACK; the rest should follow as the acknowledgements come, and only then is it caught up', async () => {
    const acks = heldAcknowledgements()
    const { broker, start } = await setup({ authorizePublish: acks.authorizePublish })
    const wall = wallClock(T0)
    const { simulation } = await start(wall, { maxInFlight: 5 })
    cleanups.push(() => acks.release())
    // The clock has caught up with the wall, but the history is still to be sent.
    wall.set(T0 + 62_000)
    const all = due(T0 + 62_000)
    await waitFor(() => simulation.stats().published === 5, 10_000, 'five messages published')
    await sleep(200)
    expect(simulation.stats()).toMatchObject({ published: 5, inFlight: 5, acknowledged: 0, caughtUp: false })
    expect(acks.held()).toBeGreaterThan(0)
    acks.release()
    await waitFor(() => simulation.stats().acknowledged === all.length, 10_000, 'the rest once acknowledged')
    await waitFor(() => simulation.stats().caughtUp, 5000, 'caught up')
    expect(simulation.stats()).toMatchObject({ published: all.length, inFlight: 0, failed: 0 })
    expect(perDevice(broker.published)).toEqual(perDevice(all.map(lineOf)))
  })

  test('stop should wait for the outstanding PUBACKs, save the progress through them and publish nothing more', async () => {
    const acks = heldAcknowledgements()
    const { start, progress } = await setup({ authorizePublish: acks.authorizePublish })
    const wall = wallClock(T0)
    const { simulation, lines } = await start(wall)
    cleanups.push(() => acks.release())
    wall.set(T0 + 30_000)
    const firstHalf = due(simulatedAt(T0 + 30_000))
    await waitFor(() => simulation.stats().published === firstHalf.length, 10_000, 'the first half hour published')
    let stopped = false
    const stopping = simulation.stop().then(() => (stopped = true))
    await sleep(200)
    expect(stopped).toBe(false)
    acks.release()
    await stopping
    expect(simulation.stats()).toMatchObject({ published: firstHalf.length, acknowledged: firstHalf.length, inFlight: 0, failed: 0 })
    expect(progress().acknowledgedThrough).toBe(firstHalf.at(-1)!.time)
    expect(lines.find((l) => l.msg === 'stopping with messages not acknowledged by the broker')).toBeUndefined()
    expect(lines.find((l) => l.msg === 'city simulation stopped')).toMatchObject({ published: firstHalf.length, acknowledged: firstHalf.length })
    wall.set(T0 + 62_000)
    await sleep(100)
    expect(simulation.stats().published).toBe(firstHalf.length)
    // A second stop has nothing left to do.
    await simulation.stop()
    expect(lines.filter((l) => l.msg === 'city simulation stopped')).toHaveLength(1)
  })

  test('stop should give up waiting after drainTimeoutMs, say how many are still out, and keep the resume point before them', async () => {
    const acks = heldAcknowledgements()
    const { start, progress } = await setup({ authorizePublish: acks.authorizePublish })
    const wall = wallClock(T0)
    const { simulation, lines } = await start(wall, { drainTimeoutMs: 300 })
    cleanups.push(() => acks.release())
    wall.set(T0 + 30_000)
    const firstHalf = due(simulatedAt(T0 + 30_000))
    await waitFor(() => simulation.stats().published === firstHalf.length, 10_000, 'the first half hour published')
    const started = Date.now()
    await simulation.stop()
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(lines.find((l) => l.msg === 'stopping with messages not acknowledged by the broker')).toMatchObject({ level: 40, inFlight: firstHalf.length })
    // Nothing was acknowledged: a restart sends the whole half hour again.
    expect(progress().acknowledgedThrough).toBe(startAt - 1)
  })
})
