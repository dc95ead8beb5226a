import { cityTimeZone, type FractionRound } from './city.js'
import type { Envelope, Measure } from './encode/measure.js'
import { containerMeasures, electricityMeasures, gasMeasures, heatMeasures, weighingMeasures } from './encode/observations.js'
import { encode } from './encode/variants.js'
import type { DevicePlan } from './fleet.js'
import { ContainerModel, type ContainerSettings } from './models/container.js'
import { MeterModel, type MeterSettings } from './models/meter.js'
import { WeighbridgeModel } from './models/weighbridge.js'
import { rngFor, type Rng } from './prng.js'
import { electricityLoad, gasLoad, heatLoad } from './rhythms.js'
import type { Scenario } from './scenario.js'

const minuteMs = 60_000
/** How often sensors report; a burning container's fire alarm reports every 2 minutes. */
export const reportIntervalMs = 15 * minuteMs
export const fireReportIntervalMs = 2 * minuteMs
const fireDurationMs = 40 * minuteMs
/** The street of the container the rounds miss stays blocked (roadworks) this long after it first reads full; then a crew empties it. */
export const overflowClearedAfterMs = 60 * 60 * minuteMs
/** Keep reporting fast while the container cools down after the fire. */
const fireWatchMs = fireDurationMs + 30 * minuteMs
/** The weak battery starts here and reaches 0.15 at the scenario's moment. */
const weakBatteryStart = 0.3

/** One simulated message: what a device publishes, and the simulated time it describes. */
export interface SimulatedMessage {
  readonly deviceId: string
  readonly topic: string
  readonly payload: string
  /** Observation time, ms since the epoch. */
  readonly time: number
}

/** A device's message stream, in time order; `nextAt` is undefined once it has gone silent. */
export interface Source {
  readonly plan: DevicePlan
  readonly nextAt: number | undefined
  emit(): SimulatedMessage
}

/** Builds the message stream of one planned device; a function of seed, plan and scenario only. */
export function sourceFor(plan: DevicePlan, apiKey: string, seed: number, scenario: Scenario): Source {
  const rng = rngFor(seed, plan.id)
  const envelopeAt = (time: number, entityId: string): Envelope => ({ deviceId: plan.id, apiKey, entityType: plan.entityType, entityId, time, descriptive: descriptiveOf(plan) })
  const message = (time: number, measures: Measure[], entityId = plan.entityId ?? plan.id): SimulatedMessage => ({ deviceId: plan.id, time, ...encode(plan.variant, envelopeAt(time, entityId), measures) })
  // Devices do not report in lockstep: each has its own offset into the interval, in whole seconds.
  const firstReport = scenario.startMs + rng.integer(0, reportIntervalMs / 1000 - 1) * 1000

  switch (plan.kind) {
    case 'waste_container': {
      const model = new ContainerModel(containerSettings(plan, rng, scenario), rng, scenario.startMs)
      const until = plan.role === 'silent' ? scenario.silentFrom : Number.POSITIVE_INFINITY
      const fireAt = plan.role === 'burning' ? scenario.fireAt : undefined
      return periodic(plan, firstReport, until, (time) => message(time, containerMeasures(model.observe(time))), (time) => containerStep(time, fireAt))
    }
    case 'energy_meter':
    case 'heat_meter':
    case 'gas_meter': {
      const model = new MeterModel(meterSettings(plan, rng, scenario), rng, scenario.startMs)
      const measures = plan.kind === 'energy_meter' ? electricityMeasures : plan.kind === 'heat_meter' ? heatMeasures : gasMeasures
      return periodic(plan, firstReport, Number.POSITIVE_INFINITY, (time) => message(time, measures(model.observe(time))), () => reportIntervalMs)
    }
    case 'weighing_device': {
      const model = new WeighbridgeModel(rng, scenario.startMs, cityTimeZone)
      let weighing = model.next()
      let count = 0
      return {
        plan,
        get nextAt() {
          return weighing.time
        },
        emit() {
          const current = weighing
          weighing = model.next()
          count++
          return message(current.time, weighingMeasures(current), `urn:ngsi-ld:WasteObserved:${plan.id}:${current.time / 1000}:${count}`)
        },
      }
    }
    case 'generic':
      throw new Error(`the simulator plans no ${plan.kind} devices`)
  }
}

function periodic(plan: DevicePlan, first: number, until: number, observe: (time: number) => SimulatedMessage, step: (time: number) => number): Source {
  let next = first
  return {
    plan,
    get nextAt() {
      return next < until ? next : undefined
    },
    emit() {
      const current = next
      next = current + step(current)
      return observe(current)
    },
  }
}

/** Every 15 minutes; the first report of a fire comes 2 minutes after it starts, then every 2 minutes. */
export function containerStep(time: number, fireAt: number | undefined): number {
  if (fireAt === undefined) return reportIntervalMs
  if (time >= fireAt && time < fireAt + fireWatchMs) return fireReportIntervalMs
  if (time < fireAt && time + reportIntervalMs > fireAt) return fireAt + fireReportIntervalMs - time
  return reportIntervalMs
}

function containerSettings(plan: DevicePlan, rng: Rng, scenario: Scenario): ContainerSettings {
  const round = plan.round as FractionRound
  const overflowing = plan.role === 'overflowing'
  // Sized so a container is 60–90 % full when its round comes (longest gap between rounds).
  const fillPerDay = overflowing ? 0.3 : (rng.between(0.6, 0.9) / longestGapDays(round.days))
  const weak = plan.role === 'weak-battery'
  const daysToLow = Math.max(1 / 24, (scenario.lowBatteryAt - scenario.startMs) / 86_400_000)
  return {
    timeZone: cityTimeZone,
    fillPerDay,
    // The overflowing one starts just below its threshold, so it crosses it early in any run.
    initialFill: overflowing ? round.fullnessThreshold - 0.05 : rng.between(0.05, 0.5),
    ...(overflowing ? { clearedAfterFullMs: overflowClearedAfterMs } : { collection: { days: round.days, minuteOfDay: round.startHour * 60 + rng.integer(0, 120) } }),
    residualFill: rng.between(0.01, 0.04),
    volumeM3: round.containerVolumeM3,
    densityKgM3: round.densityKgM3,
    noise: 0.3,
    battery: weak ? { start: weakBatteryStart, drainPerDay: (weakBatteryStart - 0.15) / daysToLow } : { start: rng.between(0.6, 0.98), drainPerDay: 0.002 },
    ...(plan.role === 'burning' ? { fire: { at: scenario.fireAt, durationMs: fireDurationMs } } : {}),
  }
}

/** The longest wait between two rounds of a weekly schedule, in days. */
export function longestGapDays(days: readonly number[]): number {
  const sorted = [...days].sort((a, b) => a - b)
  return Math.max(...sorted.map((day, i) => (i + 1 < sorted.length ? sorted[i + 1]! - day : sorted[0]! + 7 - day)))
}

function meterSettings(plan: DevicePlan, rng: Rng, scenario: Scenario): MeterSettings {
  const common = { timeZone: cityTimeZone, noise: 0.08 }
  const reset = plan.role === 'swapped-meter' ? { resetAt: scenario.counterResetAt } : {}
  switch (plan.kind) {
    case 'energy_meter':
      return { ...common, ...reset, meanPerHour: rng.between(20, 60), rhythm: electricityLoad, initialRegister: rng.between(50_000, 400_000), decimals: 3 }
    case 'heat_meter':
      return { ...common, meanPerHour: rng.between(40, 120), rhythm: heatLoad, initialRegister: rng.between(100_000, 900_000), decimals: 2 }
    default:
      return { ...common, meanPerHour: rng.between(2, 8), rhythm: gasLoad, initialRegister: rng.between(5_000, 60_000), decimals: 3 }
  }
}

/** What NGSI-LD payloads say about the device besides its readings; the platform skips it. */
function descriptiveOf(plan: DevicePlan): Record<string, unknown> {
  const location = { type: 'Point', coordinates: plan.coordinates }
  if (plan.container) return { location, storedWasteKind: plan.container.wasteFraction }
  return { location }
}
