import { describe, expect, test } from 'vitest'
import { InfluxTargetBuilder, targets } from '../../dashboards/influx-target.js'
import type { InfluxQuery } from '../../dashboards/influxql.js'

const query = (measurement: string): InfluxQuery => ({ select: [{ expr: { kind: 'field', name: 'v' }, as: 'v' }], from: measurement })

describe('influx targets', () => {
  test('targets should be lettered A, B, C… in order, as raw InfluxQL of the platform data source', () => {
    // As written to the dashboard JSON, where the SDK's marker method does not appear.
    const built = targets({ query: query('a') }, { query: query('b'), format: 'table' }, { query: query('c'), alias: '$tag_site' }).map((t) => JSON.parse(JSON.stringify(t.build())) as unknown)
    expect(built).toEqual([
      { refId: 'A', datasource: { type: 'influxdb', uid: 'circular-influxdb' }, rawQuery: true, query: 'SELECT "v" AS "v" FROM "a" WHERE $timeFilter', resultFormat: 'time_series' },
      { refId: 'B', datasource: { type: 'influxdb', uid: 'circular-influxdb' }, rawQuery: true, query: 'SELECT "v" AS "v" FROM "b" WHERE $timeFilter', resultFormat: 'table' },
      { refId: 'C', datasource: { type: 'influxdb', uid: 'circular-influxdb' }, rawQuery: true, query: 'SELECT "v" AS "v" FROM "c" WHERE $timeFilter', resultFormat: 'time_series', alias: '$tag_site' },
    ])
  })

  test('a target without an alias should have no alias key, so Grafana names the series itself', () => {
    expect(Object.keys(new InfluxTargetBuilder('Z', query('m')).build())).not.toContain('alias')
    expect(JSON.parse(JSON.stringify(new InfluxTargetBuilder('Z', query('m')).build()))).toEqual({ refId: 'Z', datasource: { type: 'influxdb', uid: 'circular-influxdb' }, rawQuery: true, query: 'SELECT "v" AS "v" FROM "m" WHERE $timeFilter', resultFormat: 'time_series' })
  })
})
