import { PlatformError } from '../../models/errors.js'

/** One series of a v1 `/query` result: `values` rows follow `columns`, time first with `epoch=ms`. */
export interface ResultSeries {
  readonly name: string
  readonly columns: readonly string[]
  readonly values: readonly (readonly unknown[])[]
  /** The series' tags when the statement grouped by them (`GROUP BY *`). */
  readonly tags?: Readonly<Record<string, string>>
}

/**
 * The series of each statement of a v1 `/query` answer, in statement order. Any statement error
 * becomes `STORE_QUERY_FAILED`; the message carries InfluxDB's reason for the logs, never the
 * statement, and callers decide what reaches a client.
 */
export function statementSeries(body: unknown, statementCount: number): ResultSeries[][] {
  const results = isRecord(body) ? body.results : undefined
  if (isRecord(body) && typeof body.error === 'string') queryFailed(body.error)
  if (!Array.isArray(results)) queryFailed('the answer has no results')
  const byStatement: ResultSeries[][] = Array.from({ length: statementCount }, () => [])
  results.forEach((result: unknown, position) => {
    if (!isRecord(result)) queryFailed('a result is not an object')
    if (typeof result.error === 'string') queryFailed(result.error)
    if (result.partial === true) queryFailed('the result was truncated by the server (partial)')
    const index = typeof result.statement_id === 'number' ? result.statement_id : position
    const target = byStatement[index]
    if (target === undefined) queryFailed(`a result names statement ${index} of ${statementCount}`)
    if (result.series === undefined) return
    if (!Array.isArray(result.series)) queryFailed('series is not a list')
    for (const series of result.series as unknown[]) target.push(toSeries(series))
  })
  return byStatement
}

function toSeries(series: unknown): ResultSeries {
  if (!isRecord(series) || !Array.isArray(series.columns)) queryFailed('a series has no columns')
  const values = series.values === undefined ? [] : series.values
  if (!Array.isArray(values) || !values.every(Array.isArray)) queryFailed('a series has malformed values')
  const tags = isRecord(series.tags) ? Object.fromEntries(Object.entries(series.tags).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')) : undefined
  return { name: typeof series.name === 'string' ? series.name : '', columns: series.columns as string[], values: values as unknown[][], ...(tags ? { tags } : {}) }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function queryFailed(reason: string): never {
  throw new PlatformError('STORE_QUERY_FAILED', `InfluxDB query failed: ${reason}`, { reason })
}
