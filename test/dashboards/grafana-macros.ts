/**
 * What Grafana does to an InfluxQL panel query before sending it, as far as the dashboards use
 * it: `$timeFilter` becomes the time range in epoch milliseconds, `$__interval` the bucket
 * Grafana picks for the range (never below the panel's minimum interval), and each template
 * variable its selection written as a regex group, e.g. `(antwerp|gent)`.
 */

export interface TimeRange {
  readonly from: number
  readonly to: number
}

/** Grafana's bucket ladder (a subset of kbn.roundInterval): the smallest step not below the raw interval. */
const steps: [number, string][] = [
  [1_000, '1s'], [10_000, '10s'], [30_000, '30s'], [60_000, '1m'], [300_000, '5m'], [600_000, '10m'], [1_800_000, '30m'],
  [3_600_000, '1h'], [10_800_000, '3h'], [43_200_000, '12h'], [86_400_000, '1d'], [604_800_000, '7d'],
]

const durationMs = (d: string): number => Number(d.slice(0, -1)) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[d.slice(-1) as 's' | 'm' | 'h' | 'd' | 'w']

/** A dashboard's own time range (e.g. `now-7d` to `now`), as Grafana resolves it when the dashboard opens. */
export function dashboardRange(time: { readonly from: string; readonly to: string }, now: number): TimeRange {
  const resolve = (expression: string): number => {
    if (expression === 'now') return now
    const relative = /^now-(\d+[smhdw])$/.exec(expression)
    if (!relative) throw new Error(`time ${expression} is not of the form now or now-<n><s|m|h|d|w>`)
    return now - durationMs(relative[1]!)
  }
  return { from: resolve(time.from), to: resolve(time.to) }
}

/** `$__interval` for a range drawn with `maxDataPoints` points and the panel's minimum interval. */
export function grafanaInterval(range: TimeRange, minInterval: string | undefined, maxDataPoints = 1000): string {
  const raw = Math.max((range.to - range.from) / maxDataPoints, minInterval ? durationMs(minInterval) : 0)
  return (steps.find(([ms]) => ms >= raw) ?? steps[steps.length - 1]!)[1]
}

/** A multi-value selection in an InfluxQL regex, escaped as Grafana's InfluxDB plugin escapes it. */
export function regexSelection(values: readonly string[]): string {
  const escaped = values.map((v) => v.replace(/[\\^$*+?.()|[\]{}/]/g, (c) => `\\${c}`))
  return escaped.length === 1 ? escaped[0]! : `(${escaped.join('|')})`
}

export function interpolate(query: string, range: TimeRange, interval: string, variables: Readonly<Record<string, string>>): string {
  return query
    .replaceAll('$timeFilter', `time >= ${range.from}ms and time <= ${range.to}ms`)
    .replaceAll('$__interval', interval)
    .replace(/\$(\w+)/g, (whole, name: string) => {
      const value = variables[name]
      if (value === undefined) throw new Error(`query uses $${name}, which has no value: ${query}`)
      return value
    })
}
