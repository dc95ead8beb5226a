import { localTime } from '../local-time.js'
import { round } from '../numbers.js'
import type { Rng } from '../prng.js'
import type { Rhythm } from '../rhythms.js'

const hourMs = 3_600_000

export interface MeterSettings {
  readonly timeZone: string
  /** Mean consumption per hour: kWh for electricity and heat, m³ for gas. */
  readonly meanPerHour: number
  readonly rhythm: Rhythm
  readonly initialRegister: number
  /** Decimals the register shows. */
  readonly decimals: number
  /** Relative spread of each step, 0 for none. */
  readonly noise: number
  /** When the meter is swapped for a new one whose register starts at zero. */
  readonly resetAt?: number
}

export interface MeterObservation {
  readonly time: number
  /** The cumulative register: kWh or m³. */
  readonly register: number
  /** Consumption rate at the moment of observation, per hour (kW for electricity). */
  readonly ratePerHour: number
}

/**
 * A utility meter's cumulative register, rising with a daily and weekly load profile. A swapped
 * meter starts again from zero, which the footprint processor must recognise as a reset rather
 * than as negative consumption. Observations must be asked for in time order.
 */
export class MeterModel {
  private register: number
  private last: number

  constructor(
    private readonly settings: MeterSettings,
    private readonly rng: Rng,
    startMs: number,
  ) {
    this.register = settings.initialRegister
    this.last = startMs
  }

  observe(time: number): MeterObservation {
    const s = this.settings
    const spread = s.noise === 0 ? 1 : 1 + s.noise * (2 * this.rng.next() - 1)
    // Hourly factors are constant within an hour, so the midpoint's factor gives the step exactly.
    const perHour = (from: number, to: number): number => s.meanPerHour * s.rhythm(localTime((from + to) / 2, s.timeZone)) * spread
    if (s.resetAt !== undefined && this.last < s.resetAt && s.resetAt <= time) {
      this.register = (perHour(s.resetAt, time) * (time - s.resetAt)) / hourMs
    } else {
      this.register += (perHour(this.last, time) * (time - this.last)) / hourMs
    }
    this.last = time
    return { time, register: round(this.register, s.decimals), ratePerHour: round(s.meanPerHour * s.rhythm(localTime(time, s.timeZone)) * spread, 3) }
  }
}
