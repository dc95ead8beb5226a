import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '../core/logger.js'
import type { DeviceKind } from '../models/reading.js'
import { SimulationClock } from './clock.js'
import { FleetConnections } from './connections.js'
import { CityEngine } from './engine.js'
import { planFleet, type Role } from './fleet.js'
import { resolveOptions, type SimulationOptions } from './options.js'
import { AcknowledgementWatermark, defaultProgressFile, loadProgress, saveProgress } from './progress.js'
import { defaultStateFile, ensureRegistered } from './registration.js'
import { scenarioFor } from './scenario.js'
import type { SimulatedMessage } from './sources.js'

/** Readers of the registry file (the broker) notice a change within a second; new devices wait that long. */
const registryRecheckMs = 1100
/** While replaying history the loop runs often; in real time a report is due every few seconds at most. */
const busyTickMs = 10
const idleTickMs = 250
/** How often the acknowledgement watermark is saved for a resume. */
const progressSaveMs = 2000

export interface SimulationStats {
  readonly tenant: string
  readonly devices: number
  readonly published: number
  readonly acknowledged: number
  readonly failed: number
  readonly inFlight: number
  readonly reconnects: number
  readonly publishedByKind: Readonly<Partial<Record<DeviceKind, number>>>
  /** Simulated start and now, ISO 8601. */
  readonly simulatedStart: string
  readonly simulatedNow: string
  /** Replayed the history and publishing in real time. */
  readonly caughtUp: boolean
  /** Which device plays which scripted incident. */
  readonly incidents: Readonly<Partial<Record<Exclude<Role, 'regular'>, string>>>
  readonly scenario: { readonly counterResetAt: string; readonly fireAt: string; readonly silentFrom: string; readonly lowBatteryAt: string }
}

export interface RunningSimulation {
  /** Stops publishing, waits for the outstanding PUBACKs (up to `drainTimeoutMs`), disconnects. */
  stop(): Promise<void>
  stats(): SimulationStats
}

/**
 * Runs the simulated city against an MQTT broker: registers the fleet if needed, connects every
 * device, replays `historyHours` of the city at `speed` and then keeps publishing in real time.
 * A restart of the same city (tenant, seed, scale) resumes after the last message the broker
 * acknowledged, with the same messages it would have sent, unless `startAt` is given.
 */
export async function startSimulation(options: SimulationOptions, logger: Logger, now: () => number = Date.now): Promise<RunningSimulation> {
  const o = resolveOptions(options, now())
  const plans = planFleet(o.tenant, o.scale, o.seed)
  const registration = await ensureRegistered(plans, o.tenant, o.registryFile, o.stateFile ?? defaultStateFile(o.registryFile))
  if (registration.added > 0) await sleep(registryRecheckMs)
  const connections = new FleetConnections(o.url, logger)
  try {
    await connections.connect(registration.secrets)
  } catch (error) {
    await connections.close(true)
    throw error
  }

  const progressFile = o.progressFile ?? defaultProgressFile(o.registryFile)
  const saved = options.startAt === undefined ? loadProgress(progressFile, o) : undefined
  const startAt = saved?.startAt ?? o.startAt
  const historyHours = saved?.historyHours ?? o.historyHours
  const scenario = scenarioFor(startAt, historyHours)
  const engine = new CityEngine(plans, o.tenant, o.seed, scenario)
  // Regenerating what was acknowledged before keeps every later message exactly as it would have been.
  if (saved) while ((engine.peekTime() ?? Infinity) <= saved.acknowledgedThrough) engine.take()
  const clock = new SimulationClock(saved?.acknowledgedThrough ?? startAt, now(), o.speed)
  const watermark = new AcknowledgementWatermark(saved?.acknowledgedThrough ?? startAt - 1)
  let savedThrough = saved?.acknowledgedThrough
  let lastSave = now()
  const persist = (): void => {
    const through = watermark.value()
    if (through === savedThrough) return
    saveProgress(progressFile, { version: 1, tenant: o.tenant, seed: o.seed, scale: o.scale, startAt, historyHours, acknowledgedThrough: through })
    savedThrough = through
  }
  const kindOf = new Map(plans.map((p) => [p.id, p.kind]))
  const counts = { published: 0, acknowledged: 0, failed: 0, inFlight: 0 }
  const publishedByKind: Partial<Record<DeviceKind, number>> = {}
  let caughtUp = false
  let stopping = false
  let timer: NodeJS.Timeout | undefined
  let drained: (() => void) | undefined

  const publish = (message: SimulatedMessage): void => {
    const kind = kindOf.get(message.deviceId)!
    counts.published++
    counts.inFlight++
    publishedByKind[kind] = (publishedByKind[kind] ?? 0) + 1
    const acknowledged = watermark.published(message.time)
    connections.client(message.deviceId).publish(message.topic, message.payload, { qos: 1 }, (error) => {
      counts.inFlight--
      if (error) {
        counts.failed++
        logger.warn({ err: error, deviceId: message.deviceId }, 'simulated message not acknowledged')
      } else {
        counts.acknowledged++
        acknowledged()
      }
      if (counts.inFlight === 0) drained?.()
    })
  }

  const tick = (): void => {
    if (stopping) return
    const wall = now()
    const until = clock.at(wall)
    for (const message of engine.takeUntil(until, o.maxInFlight - counts.inFlight)) publish(message)
    if (wall - lastSave >= progressSaveMs) {
      lastSave = wall
      persist()
    }
    const backlog = (engine.peekTime() ?? Number.POSITIVE_INFINITY) <= until
    if (!caughtUp && !backlog && clock.caughtUp(wall)) {
      caughtUp = true
      logger.info({ published: counts.published }, 'simulated history replayed; continuing in real time')
    }
    timer = setTimeout(tick, backlog || !caughtUp ? busyTickMs : idleTickMs)
  }

  const incidents = Object.fromEntries(plans.filter((p) => p.role !== 'regular').map((p) => [p.role, p.id]))
  const iso = (ms: number): string => new Date(ms).toISOString()
  logger.info({ tenant: o.tenant, devices: plans.length, registered: registration.added, seed: o.seed, speed: o.speed, from: iso(startAt), resumedAfter: saved ? iso(saved.acknowledgedThrough) : undefined, url: o.url, incidents }, 'city simulation started')
  tick()

  return {
    stats: () => ({
      tenant: o.tenant,
      devices: plans.length,
      ...counts,
      reconnects: connections.reconnects,
      publishedByKind: { ...publishedByKind },
      simulatedStart: iso(startAt),
      simulatedNow: iso(clock.at(now())),
      caughtUp,
      incidents,
      scenario: { counterResetAt: iso(scenario.counterResetAt), fireAt: iso(scenario.fireAt), silentFrom: iso(scenario.silentFrom), lowBatteryAt: iso(scenario.lowBatteryAt) },
    }),
    stop: async () => {
      if (stopping) return
      stopping = true
      clearTimeout(timer)
      const allAcknowledged = counts.inFlight === 0 || (await Promise.race([new Promise<boolean>((resolve) => (drained = () => resolve(true))), sleep(o.drainTimeoutMs, false)]))
      if (!allAcknowledged) logger.warn({ inFlight: counts.inFlight }, 'stopping with messages not acknowledged by the broker')
      persist()
      await connections.close(!allAcknowledged)
      logger.info({ published: counts.published, acknowledged: counts.acknowledged }, 'city simulation stopped')
    },
  }
}
