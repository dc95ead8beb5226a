/**
 * The energy anomaly (M5) as the metric catalogue defines it: an hour's kWh against the median of
 * the same hour of the week in the `weeks` weeks before. Weeks without data are left out; an hour
 * gets a value once at least `minWeeks` of them have data and their median is above zero.
 */
export interface AnomalyBaseline {
  readonly weeks: number
  readonly minWeeks: number
  /** Weeks of hourly consumption a meter's state keeps: the baseline weeks and one more for late corrections. */
  readonly keepWeeks: number
}

export const energyAnomalyBaseline: AnomalyBaseline = { weeks: 4, minWeeks: 1, keepWeeks: 5 }

/** Where the footprint processor stores M5 and the API and dashboards read it. */
export const energyAnomalyMeasurement = 'energy_anomaly'

/** The median the baseline is taken as; undefined for no values. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}
