import { afterAll, describe, expect, test } from 'vitest'
import { InfluxHttp } from '../../../core/store/influx-http.js'
import { dropDatabase, testInfluxConfig } from './test-database.js'

/** The same client against the real InfluxDB the services script runs: its answers are what the client must read. */
describe('InfluxHttp against InfluxDB', () => {
  const config = testInfluxConfig()
  const influx = new InfluxHttp(config)
  afterAll(() => dropDatabase(config.database))

  test('ping should be true', async () => {
    expect(await influx.ping()).toBe(true)
  })

  test('a write before the database exists should come back as database-missing, and be written once it does', async () => {
    expect(await influx.write('waste_container,device=bin-1 filling_level=0.5 1741082100000')).toEqual({ kind: 'database-missing' })
    await influx.query(`CREATE DATABASE "${config.database}"`)
    expect(await influx.write('waste_container,device=bin-1 filling_level=0.5 1741082100000')).toEqual({ kind: 'written' })
    expect(await influx.query('SELECT "filling_level" FROM "waste_container"', config.database)).toEqual({
      results: [{ statement_id: 0, series: [{ name: 'waste_container', columns: ['time', 'filling_level'], values: [[1741082100000, 0.5]] }] }],
    })
  })

  test('a field type conflict and an unparsable line should be refused with InfluxDB\'s reason', async () => {
    await influx.query(`CREATE DATABASE "${config.database}"`)
    await influx.write('conflict v=1 1000')
    const conflict = await influx.write('conflict v="text" 2000')
    expect(conflict.kind).toBe('refused')
    expect(conflict.kind === 'refused' ? conflict.reason : '').toContain('field type conflict')
    const unparsable = await influx.write('no fields here')
    expect(unparsable.kind).toBe('refused')
    expect(unparsable.kind === 'refused' ? unparsable.reason : '').toContain('unable to parse')
  })

  test('a statement InfluxDB cannot parse should be STORE_QUERY_FAILED with its reason', async () => {
    const refusal = influx.query('SELEC 1')
    await expect(refusal).rejects.toMatchObject({ code: 'STORE_QUERY_FAILED' })
    await expect(refusal).rejects.toThrow(/^InfluxDB refused the query: error parsing query: found SELEC/)
  })
})
