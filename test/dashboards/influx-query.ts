import type { Config } from '../../core/config.js'

export interface QueryResult {
  readonly error?: string
  /** Rows of every series, without the time column. */
  readonly rows: unknown[][]
}

/** Runs one InfluxQL statement over the v1 HTTP API, as Grafana's InfluxDB data source does. */
export async function runInfluxQL(config: Config, statement: string): Promise<QueryResult> {
  const body = new URLSearchParams({ db: config.influx.database, q: statement, epoch: 'ms' })
  const response = await fetch(`${config.influx.url}/query`, { method: 'POST', body })
  const json = (await response.json()) as { error?: string; results?: { error?: string; series?: { columns: string[]; values: unknown[][] }[] }[] }
  const result = json.results?.[0]
  const error = json.error ?? result?.error ?? (response.ok ? undefined : `HTTP ${response.status}`)
  const rows = (result?.series ?? []).flatMap((s) => s.values.map((row) => row.filter((_, i) => s.columns[i] !== 'time')))
  return { ...(error !== undefined ? { error } : {}), rows }
}

/** Whether any row holds a value (InfluxDB returns null for empty buckets). */
export function hasData(result: QueryResult): boolean {
  return result.rows.some((row) => row.some((v) => v !== null && v !== undefined))
}
