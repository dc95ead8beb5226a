import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog'
import { influxDataSource } from './datasource.js'
import { renderQuery, type InfluxQuery } from './influxql.js'

/** A Grafana InfluxDB query in raw InfluxQL mode, as the data source plugin stores it. */
export interface InfluxTarget extends Dataquery {
  readonly refId: string
  readonly datasource: typeof influxDataSource
  readonly rawQuery: true
  readonly query: string
  readonly resultFormat: 'time_series' | 'table'
  /** Series name pattern, e.g. `$tag_site` (time series only). */
  readonly alias?: string
}

/**
 * The SDK has no InfluxDB query builder; this one renders a typed `InfluxQuery` into the target
 * shape the Grafana InfluxDB plugin reads.
 */
export class InfluxTargetBuilder implements Builder<Dataquery> {
  constructor(
    private readonly refId: string,
    private readonly query: InfluxQuery,
    private readonly options: { format?: 'time_series' | 'table'; alias?: string } = {},
  ) {}

  build(): InfluxTarget {
    return {
      refId: this.refId,
      datasource: influxDataSource,
      rawQuery: true,
      query: renderQuery(this.query),
      resultFormat: this.options.format ?? 'time_series',
      ...(this.options.alias !== undefined ? { alias: this.options.alias } : {}),
      _implementsDataqueryVariant: () => undefined,
    }
  }
}

/** Targets A, B, C … in order. */
export function targets(...queries: { query: InfluxQuery; format?: 'time_series' | 'table'; alias?: string }[]): InfluxTargetBuilder[] {
  return queries.map((q, i) => new InfluxTargetBuilder(String.fromCharCode(65 + i), q.query, q))
}
