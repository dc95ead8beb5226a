import { randomBytes } from 'node:crypto'
import { pino } from 'pino'
import type { Config } from '../../../core/config.js'

/** The InfluxDB the tests use: the one the services script starts, unless INFLUX_URL says otherwise. */
export const influxUrl = (process.env.INFLUX_URL ?? 'http://127.0.0.1:8086').replace(/\/+$/, '')

export const silentLogger = pino({ level: 'silent' })

/** Settings for a database of its own, so tests never see each other's points. */
export function testInfluxConfig(overrides: Partial<Config['influx']> = {}): Config['influx'] {
  return { url: influxUrl, database: `test_${randomBytes(6).toString('hex')}`, timeoutMs: 10_000, ...overrides }
}

/** Runs a statement directly, bypassing the code under test. */
export async function influxQuery(statement: string, database?: string): Promise<unknown> {
  const form = new URLSearchParams({ q: statement, epoch: 'ms' })
  if (database !== undefined) form.set('db', database)
  const response = await fetch(`${influxUrl}/query`, { method: 'POST', body: form })
  if (!response.ok) throw new Error(`InfluxDB answered ${response.status}: ${await response.text()}`)
  return response.json()
}

export async function dropDatabase(name: string): Promise<void> {
  await influxQuery(`DROP DATABASE "${name}"`)
}

export async function databaseExists(name: string): Promise<boolean> {
  const body = (await influxQuery('SHOW DATABASES')) as { results: { series?: { values: string[][] }[] }[] }
  return (body.results[0]?.series?.[0]?.values ?? []).some(([database]) => database === name)
}

/** How many points a measurement holds, counted by InfluxDB itself. */
export async function countPoints(database: string, measurement: string, field: string): Promise<number> {
  const body = (await influxQuery(`SELECT count("${field}") FROM "${measurement}"`, database)) as {
    results: { series?: { values: [number, number][] }[] }[]
  }
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0
}

/** A local port with nothing listening, for the unreachable-store cases. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}
