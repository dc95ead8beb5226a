import { VariableRefresh, VariableSort, type QueryVariableBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { allValue, fractionVariable, hostVariable, siteVariable, tenantVariable } from '../../dashboards/variables.js'
import { dropDatabase, influxQuery, influxUrl, testInfluxConfig } from '../core/store/test-database.js'
import { interpolate, regexSelection } from './grafana-macros.js'

const variables = { tenant: tenantVariable, site: siteVariable, fraction: fractionVariable, host: hostVariable }

/** The variable's InfluxQL; the SDK also allows a structured query, which these never are. */
function queryOf(variable: () => QueryVariableBuilder): string {
  const { query } = variable().build()
  if (typeof query !== 'string') throw new Error(`expected an InfluxQL string, got ${JSON.stringify(query)}`)
  return query
}

describe('template variables', () => {
  test('each should list one tag\'s values from the InfluxDB data source, narrowed by the tenant where the tag belongs to one', () => {
    const queries = Object.fromEntries(Object.entries(variables).map(([name, variable]) => [name, queryOf(variable)]))
    expect(queries).toEqual({
      tenant: 'SHOW TAG VALUES WITH KEY = "tenant"',
      site: 'SHOW TAG VALUES WITH KEY = "site" WHERE "tenant"::tag =~ /^$tenant$/',
      fraction: 'SHOW TAG VALUES FROM "waste_container", "material_flow_rollup" WITH KEY = "fraction" WHERE "tenant"::tag =~ /^$tenant$/',
      host: 'SHOW TAG VALUES FROM "pipeline_counters" WITH KEY = "host"',
    })
  })

  test('each should be a multi-select with All, sorted, refreshed with the time range, and start on All', () => {
    for (const [name, variable] of Object.entries(variables)) {
      const built = variable().build()
      expect(built, name).toMatchObject({
        type: 'query',
        name,
        label: name[0]!.toUpperCase() + name.slice(1),
        datasource: { type: 'influxdb', uid: 'circular-influxdb' },
        definition: built.query,
        refresh: VariableRefresh.OnTimeRangeChanged,
        sort: VariableSort.AlphabeticalAsc,
        multi: true,
        includeAll: true,
        allValue: '.*',
        current: { selected: true, text: ['All'], value: ['$__all'] },
      })
    }
    expect(allValue).toBe('.*')
  })
})

describe('template variables on InfluxDB', () => {
  const influx = testInfluxConfig()
  const at = Date.now()

  beforeAll(async () => {
    await influxQuery(`CREATE DATABASE "${influx.database}"`)
    const lines = [
      'waste_container,tenant=gent,site=depot-1,fraction=paper filling_level=0.5',
      // A container without a fraction tag.
      'waste_container,tenant=gent,site=depot-2 filling_level=0.5',
      'waste_container,tenant=brugge,site=harbour,fraction=glass filling_level=0.5',
      'material_flow_rollup,tenant=gent,site=recycling-1,fraction=wood mass_kg=10',
      // Only containers and material flows offer fractions.
      'energy_rollup,tenant=gent,site=plant,fraction=not-a-waste-fraction consumption_kwh=1',
      'pipeline_counters,host=node-a received=1',
    ].map((line) => `${line} ${at}`)
    const response = await fetch(`${influxUrl}/write?db=${influx.database}&precision=ms`, { method: 'POST', body: lines.join('\n') })
    expect(response.status).toBe(204)
  })
  afterAll(() => dropDatabase(influx.database))

  /** A variable's values as Grafana shows them: each once, whichever measurements hold it. */
  async function values(query: string, selections: Record<string, string> = {}): Promise<string[]> {
    const statement = interpolate(query, { from: at - 60_000, to: at + 60_000 }, '1m', selections)
    const body = (await influxQuery(statement, influx.database)) as { results: { error?: string; series?: { values: string[][] }[] }[] }
    const result = body.results[0]!
    if (result.error) throw new Error(`${statement}: ${result.error}`)
    return [...new Set((result.series ?? []).flatMap((s) => s.values.map(([, value]) => value!)))].sort()
  }

  test('the queries should offer the tags of the tenants selected, and every tenant\'s with All', async () => {
    expect(await values(queryOf(tenantVariable))).toEqual(['brugge', 'gent'])
    const site = queryOf(siteVariable)
    expect(await values(site, { tenant: regexSelection(['gent']) })).toEqual(['depot-1', 'depot-2', 'plant', 'recycling-1'])
    expect(await values(site, { tenant: allValue })).toEqual(['depot-1', 'depot-2', 'harbour', 'plant', 'recycling-1'])
    const fraction = queryOf(fractionVariable)
    expect(await values(fraction, { tenant: regexSelection(['gent']) })).toEqual(['paper', 'wood'])
    expect(await values(fraction, { tenant: regexSelection(['gent', 'brugge']) })).toEqual(['glass', 'paper', 'wood'])
    expect(await values(queryOf(hostVariable))).toEqual(['node-a'])
  })

  test('All should also match a point without the tag, which a regex of every value offered would not', async () => {
    const count = async (selection: string): Promise<number> => {
      const statement = `SELECT count("filling_level") FROM "waste_container" WHERE "fraction"::tag =~ /^${selection}$/ AND "tenant"::tag = 'gent'`
      const body = (await influxQuery(statement, influx.database)) as { results: { series?: { values: number[][] }[] }[] }
      return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0
    }
    expect(await count(allValue)).toBe(2)
    expect(await count(regexSelection(['paper', 'wood']))).toBe(1)
  })
})
