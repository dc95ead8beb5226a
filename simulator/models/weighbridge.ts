import { inflowMix, outflowRotation, wasteCodes } from '../city.js'
import { localTime, type LocalTime } from '../local-time.js'
import type { Rng } from '../prng.js'
import type { FlowDestination, StoredWasteKind } from '../../models/vocabulary.js'

const minuteMs = 60_000
const hourMs = 60 * minuteMs

export interface Weighing {
  readonly time: number
  readonly direction: 'in' | 'out'
  readonly fraction: StoredWasteKind
  /** EU List of Waste code, six digits. */
  readonly wasteCode: string
  readonly grossKg: number
  readonly tareKg: number
  /** Always gross − tare, as a weighbridge computes it. */
  readonly netKg: number
  readonly destination?: FlowDestination
}

/** Opening hours: Monday to Saturday 9–18, Sunday morning 10–13. */
export function isOpen(local: LocalTime): boolean {
  return local.weekday === 0 ? local.hour >= 10 && local.hour < 13 : local.hour >= 9 && local.hour < 18
}

/** Local hours at which a truck takes a full container away. */
export const outflowHours: readonly number[] = [10, 13, 16]

/** Mean time between residents' cars on the bridge; Saturdays are busier. */
function meanArrivalGapMs(local: LocalTime): number {
  return (local.weekday === 6 ? 7 : 12) * minuteMs
}

/**
 * The weighbridge of a recycling centre: residents' cars bring waste in (weighed full, tare from
 * the vehicle), and trucks take the sorted fractions out to each destination in turn. Weighings
 * come out in time order, only while the centre is open.
 */
export class WeighbridgeModel {
  private nextInflow: number
  private nextOutflow: number
  private rotation = 0

  constructor(
    private readonly rng: Rng,
    startMs: number,
    private readonly timeZone: string,
  ) {
    this.nextInflow = this.arrivalAfter(startMs)
    this.nextOutflow = this.truckAfter(startMs)
  }

  /** The next weighing; the sequence never ends. */
  next(): Weighing {
    if (this.nextOutflow <= this.nextInflow) {
      const time = this.nextOutflow
      this.nextOutflow = this.truckAfter(time + hourMs)
      return this.outflow(time)
    }
    const time = this.nextInflow
    this.nextInflow = this.arrivalAfter(time)
    return this.inflow(time)
  }

  private inflow(time: number): Weighing {
    const fraction = this.rng.weighted(inflowMix)
    const netKg = this.rng.integer(15, 350)
    const tareKg = this.rng.integer(1250, 2300)
    return { time, direction: 'in', fraction, wasteCode: wasteCodes[fraction] ?? '200307', grossKg: tareKg + netKg, tareKg, netKg }
  }

  private outflow(time: number): Weighing {
    const [fraction, destination] = outflowRotation[this.rotation % outflowRotation.length]!
    this.rotation++
    const netKg = this.rng.integer(1500, 9000)
    const tareKg = this.rng.integer(9000, 14_000)
    return { time, direction: 'out', fraction, wasteCode: wasteCodes[fraction] ?? '200307', grossKg: tareKg + netKg, tareKg, netKg, destination }
  }

  /** A resident's arrival after `after`: an exponential gap, moved into the opening hours. */
  private arrivalAfter(after: number): number {
    let time = after + wholeSeconds(this.rng.exponential(meanArrivalGapMs(localTime(after, this.timeZone))))
    // Closed: the first car comes a few minutes after the gate opens.
    for (let guard = 0; !isOpen(localTime(time, this.timeZone)) && guard < 24 * 8; guard++) time = nextWholeHour(time) + wholeSeconds(this.rng.between(1, 15) * minuteMs)
    return time
  }

  /** The first truck slot (an outflow hour while open) from `after` on, half past, give or take. */
  private truckAfter(after: number): number {
    let slot = nextWholeHour(after)
    for (let guard = 0; guard < 24 * 8; guard++, slot += hourMs) {
      const local = localTime(slot, this.timeZone)
      if (outflowHours.includes(local.hour) && isOpen(local)) break
    }
    return slot + 30 * minuteMs + wholeSeconds(this.rng.between(0, 20) * minuteMs)
  }
}

function nextWholeHour(time: number): number {
  return Math.floor(time / hourMs) * hourMs + hourMs
}

function wholeSeconds(ms: number): number {
  return Math.max(1000, Math.round(ms / 1000) * 1000)
}
