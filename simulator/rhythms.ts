import type { LocalTime } from './local-time.js'

/**
 * Daily and weekly rhythms as hourly factors around 1: constant within an hour, so the amount
 * over a reporting step is the factor at its midpoint times the step, and tests can check it by
 * hand. The shapes are plausible city patterns, not measurements.
 */

// Households throw things away from the morning on, most after dinner; little at night.
const wasteByHour = [0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.8, 1.4, 1.4, 1.2, 1.2, 1.2, 1.3, 1.2, 1.1, 1.1, 1.2, 1.4, 1.8, 1.8, 1.6, 1.2, 0.8, 0.4]
// More at home at the weekend, and Monday clears it out.
const wasteByWeekday = [1.3, 1.1, 0.9, 0.9, 0.9, 1.0, 1.3]

// Public buildings: offices from 7 to 19 on weekdays, a base load of servers and lighting.
const electricityByHour = [0.4, 0.4, 0.4, 0.4, 0.4, 0.5, 0.8, 1.3, 1.6, 1.7, 1.7, 1.6, 1.5, 1.6, 1.7, 1.6, 1.5, 1.3, 1.0, 0.7, 0.6, 0.5, 0.4, 0.4]
const electricityByWeekday = [0.5, 1.1, 1.1, 1.1, 1.1, 1.1, 0.6]

// District heat: the night set-back, the morning warm-up peak, a steady day.
const heatByHour = [0.7, 0.7, 0.7, 0.7, 0.8, 1.3, 1.6, 1.5, 1.3, 1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2, 1.2, 1.1, 1.0, 0.9, 0.8, 0.7]
const heatByWeekday = [0.8, 1.05, 1.05, 1.05, 1.05, 1.05, 0.9]

// Gas boilers and kitchens: peaks at breakfast and dinner.
const gasByHour = [0.3, 0.3, 0.3, 0.3, 0.4, 0.8, 1.6, 1.9, 1.4, 1.0, 0.9, 1.0, 1.2, 1.0, 0.9, 0.9, 1.1, 1.6, 2.0, 1.8, 1.3, 0.9, 0.6, 0.4]
const gasByWeekday = [1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1]

function factor(byHour: readonly number[], byWeekday: readonly number[], at: LocalTime): number {
  return (byHour[at.hour] ?? 1) * (byWeekday[at.weekday] ?? 1)
}

/** How fast containers fill now, relative to the average. */
export const wasteActivity = (at: LocalTime): number => factor(wasteByHour, wasteByWeekday, at)
/** Electric load of a public building now, relative to its mean. */
export const electricityLoad = (at: LocalTime): number => factor(electricityByHour, electricityByWeekday, at)
/** District-heat demand now, relative to its mean. */
export const heatLoad = (at: LocalTime): number => factor(heatByHour, heatByWeekday, at)
/** Gas demand now, relative to its mean. */
export const gasLoad = (at: LocalTime): number => factor(gasByHour, gasByWeekday, at)

export type Rhythm = (at: LocalTime) => number
