import type { Rng } from '../prng.js'
import { localTime, type LocalTime } from '../local-time.js'
import { round } from '../numbers.js'
import { wasteActivity } from '../rhythms.js'

const minuteMs = 60_000
const hourMs = 60 * minuteMs
const dayMs = 24 * hourMs

export interface ContainerSettings {
  readonly timeZone: string
  /** Mean rise of the fill ratio per day at average activity. */
  readonly fillPerDay: number
  readonly initialFill: number
  /** The collection round; undefined for a container the rounds miss (it overflows). */
  readonly collection?: {
    readonly days: readonly number[]
    /** Local minute of the day the truck reaches this container. */
    readonly minuteOfDay: number
  }
  /**
   * For a container the rounds miss: how long after it first reads full a crew clears its street
   * and empties it, each time it fills up.
   */
  readonly clearedAfterFullMs?: number
  /** What a collection leaves behind (the sensor never reads exactly zero). */
  readonly residualFill: number
  readonly volumeM3: number
  readonly densityKgM3: number
  /** Relative spread of each fill step, 0 for none. */
  readonly noise: number
  readonly battery: { readonly start: number; readonly drainPerDay: number }
  readonly fire?: { readonly at: number; readonly durationMs: number }
}

export interface ContainerObservation {
  readonly time: number
  /** Fill ratio 0–1, three decimals; a full container reads 1. */
  readonly fill: number
  readonly temperatureC: number
  readonly status: 'ok' | 'burning'
  readonly cargoKg: number
  readonly battery: number
}

/** A fire heats the container towards ambient + this many degrees… */
export const fireRiseC = 110
/** …closing 63 % of the gap every this many milliseconds, so it climbs > 20 °C in the first 2 minutes. */
export const fireTimeConstantMs = 6 * minuteMs
/** After it is put out it cools back to ambient with this time constant. */
export const coolingTimeConstantMs = 15 * minuteMs

/** A collection counts only once per round: a truck does not come back the same morning. */
const roundWindowMs = 4 * hourMs

/**
 * One street container: its fill rises with the daily and weekly rhythm of the households around
 * it, a collection round empties it, and its temperature follows the day (or a fire). Observations
 * must be asked for in time order; each advances the state from the previous one.
 */
export class ContainerModel {
  private fill: number
  private last: number
  private lastCollection = Number.NEGATIVE_INFINITY
  private fullSince: number | undefined

  constructor(
    private readonly settings: ContainerSettings,
    private readonly rng: Rng,
    private readonly startMs: number,
  ) {
    this.fill = settings.initialFill
    this.last = startMs
  }

  observe(time: number): ContainerObservation {
    const s = this.settings
    const local = localTime(time, s.timeZone)
    if (this.isCollectedAt(time, local) || this.isClearedAt(time)) {
      this.fill = s.residualFill
      this.lastCollection = time
      this.fullSince = undefined
    } else {
      // The rhythm is constant within an hour, so its value at the step's midpoint gives the step exactly.
      const activity = wasteActivity(localTime((this.last + time) / 2, s.timeZone))
      const spread = s.noise === 0 ? 1 : 1 + s.noise * (2 * this.rng.next() - 1)
      this.fill = Math.min(1, this.fill + (s.fillPerDay * activity * spread * (time - this.last)) / dayMs)
    }
    this.last = time
    const fill = round(this.fill, 3)
    if (fill === 1) this.fullSince ??= time
    const { temperatureC, burning } = this.temperature(time, local)
    return {
      time,
      fill,
      temperatureC: round(temperatureC, 1),
      status: burning ? 'burning' : 'ok',
      cargoKg: round(fill * s.volumeM3 * s.densityKgM3, 1),
      battery: round(Math.max(0.01, s.battery.start - (s.battery.drainPerDay * (time - this.startMs)) / dayMs), 3),
    }
  }

  private isCollectedAt(time: number, local: LocalTime): boolean {
    const round = this.settings.collection
    if (round === undefined || !round.days.includes(local.weekday)) return false
    const minute = local.hour * 60 + local.minute
    const due = minute >= round.minuteOfDay && minute < round.minuteOfDay + roundWindowMs / minuteMs
    return due && time - this.lastCollection > roundWindowMs
  }

  private isClearedAt(time: number): boolean {
    const after = this.settings.clearedAfterFullMs
    return after !== undefined && this.fullSince !== undefined && time - this.fullSince >= after
  }

  private temperature(time: number, local: LocalTime): { temperatureC: number; burning: boolean } {
    const ambient = ambientC(local)
    const fire = this.settings.fire
    if (fire === undefined || time < fire.at) return { temperatureC: ambient, burning: false }
    const putOut = fire.at + fire.durationMs
    const heated = (until: number): number => fireRiseC * (1 - Math.exp(-(until - fire.at) / fireTimeConstantMs))
    if (time < putOut) return { temperatureC: ambient + heated(time), burning: true }
    return { temperatureC: ambient + heated(putOut) * Math.exp(-(time - putOut) / coolingTimeConstantMs), burning: false }
  }
}

/** Air temperature of a mild season: 3 °C before dawn, 15 °C mid-afternoon. */
export function ambientC(local: LocalTime): number {
  return 9 + 6 * Math.sin((Math.PI * (local.hour - 8)) / 12)
}
