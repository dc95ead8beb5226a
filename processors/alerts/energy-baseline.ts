import type { CanonicalReading } from '../../models/reading.js'
import { median } from '../../models/energy-anomaly.js'
import { cumulativeRegisters, registerIncrement } from '../../models/meter-registers.js'
import { spreadOverHours, windowStart } from '../../models/windows.js'
import type { EnergyBaselineState, Verdict } from './state.js'
import type { RuleSettings } from '../../core/alerts/rule-settings.js'

const minuteMs = 60_000
const hourMs = 3_600_000

/** One hour's consumption, complete: no later reading can add to it. */
export interface CompletedHour {
  readonly start: number
  readonly amount: number
  /** Spread over a gap longer than `maxReadingGapMinutes`, or only partly covered by readings. */
  readonly estimated: boolean
}

export function emptyEnergyBaseline(): EnergyBaselineState {
  return { open: {}, history: {} }
}

/**
 * Adds a reading of a cumulative register and returns the hours it completed, oldest first. The
 * consumption is the reset-aware register difference, spread over the hours it covers as the
 * footprint processor spreads it; an hour is complete once a reading at or after its end arrived.
 */
export function addRegisterReading(state: EnergyBaselineState, key: string, value: number, time: number, s: RuleSettings['energy_anomaly']): CompletedHour[] {
  const last = state.register
  if (last === undefined) {
    state.register = { key, value, time }
    // The hour of the first reading is only partly covered: its sum is no hour's consumption.
    if (time !== windowStart('hour', time)) state.open[windowStart('hour', time)] = { amount: 0, estimated: true }
    return []
  }
  if (last.key !== key || time <= last.time) return []
  state.register = { key, value, time }
  const { consumed } = registerIncrement(last.value, value)
  const estimated = time - last.time > s.maxReadingGapMinutes * minuteMs
  for (const part of spreadOverHours(last.time, time, consumed)) {
    const hour = (state.open[part.hour] ??= { amount: 0, estimated: false })
    hour.amount += part.amount
    hour.estimated ||= estimated
  }
  const completed = Object.entries(state.open)
    .map(([start, hour]) => ({ start: Number(start), ...hour }))
    .filter((hour) => hour.start + hourMs <= time)
    .sort((a, b) => a.start - b.start)
  for (const hour of completed) delete state.open[hour.start]
  return completed
}

/** 0 for Monday 00:00–01:00 UTC up to 167 for Sunday 23:00–24:00. */
export function hourOfWeek(time: number): number {
  const d = new Date(time)
  return ((d.getUTCDay() + 6) % 7) * 24 + d.getUTCHours()
}

export interface Baseline {
  /** Median consumption of the same hour of the week in the weeks learned. */
  readonly value: number
  readonly weeks: number
}

/** The baseline of an hour, once `minWeeks` of its hour of the week were learned. */
export function baselineOf(state: EnergyBaselineState, hourStart: number, s: RuleSettings['energy_anomaly']): Baseline | undefined {
  const past = state.history[hourOfWeek(hourStart)] ?? []
  const value = median(past)
  return past.length < s.minWeeks || value === undefined ? undefined : { value, weeks: past.length }
}

/** Remembers a complete hour for its hour of the week, keeping the newest `baselineWeeks`; estimates are not learned. */
export function learnHour(state: EnergyBaselineState, hour: CompletedHour, s: RuleSettings['energy_anomaly']): void {
  if (hour.estimated) return
  const past = (state.history[hourOfWeek(hour.start)] ??= [])
  past.push(hour.amount)
  if (past.length > s.baselineWeeks) past.splice(0, past.length - s.baselineWeeks)
}

/**
 * Judges a complete hour against its baseline with the footprint's M5 ratio,
 * (consumption − baseline) / baseline: raised at `above` or more, or at −`below` or less.
 */
export function anomalyVerdict(hour: CompletedHour, baseline: Baseline | undefined, unit: string, s: RuleSettings['energy_anomaly']): Verdict {
  if (hour.estimated || baseline === undefined || baseline.value < s.minBaseline || baseline.value <= 0) return { kind: 'hold' }
  const ratio = (hour.amount - baseline.value) / baseline.value
  if (ratio >= s.above || ratio <= -s.below) {
    const amount = round(hour.amount)
    const percent = `${ratio > 0 ? '+' : ''}${Math.round(ratio * 100)} %`
    return { kind: 'raise', value: amount, reason: `${amount} ${unit} in the hour from ${new Date(hour.start).toISOString()}, ${percent} against the median ${round(baseline.value)} ${unit} of the same hour in ${baseline.weeks} weeks` }
  }
  return ratio < s.above - s.hysteresis && ratio > -s.below + s.hysteresis ? { kind: 'clear' } : { kind: 'hold' }
}

/**
 * Follows the meter's register through the readings of one instant and judges every hour they
 * complete against its baseline before learning it: the verdicts, each at its hour's end.
 */
export function energyVerdicts(state: EnergyBaselineState, readings: readonly CanonicalReading[], s: RuleSettings['energy_anomaly']): { at: number; verdict: Verdict }[] {
  const verdicts: { at: number; verdict: Verdict }[] = []
  for (const r of readings) {
    const key = `${r.measurement}.${r.field}`
    if (cumulativeRegisters[key] === undefined || typeof r.value !== 'number') continue
    for (const hour of addRegisterReading(state, key, r.value, r.time, s)) {
      verdicts.push({ at: hour.start + hourMs, verdict: anomalyVerdict(hour, baselineOf(state, hour.start, s), r.unit, s) })
      learnHour(state, hour, s)
    }
  }
  return verdicts
}

/** Spreading over hours leaves float residue (2.9999999998); a reported amount need not carry it. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6
}
