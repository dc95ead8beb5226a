/**
 * The embedded store's write throughput and typical API queries, on one core:
 *
 *   node --import tsx bench/store/embedded-store.ts [--points 1000000] [--devices 1000] [--sync full|normal] [--dir <dir>]
 *
 * Writes waste-container points (5 tags, 4 fields: two floats, a string, a boolean) in batches of
 * 5000 as the sink does, devices interleaved as their readings arrive, one point per device per
 * minute. Then times what the API asks of the store: one device's readings over 6 hours, one
 * field of it, its latest values, and daily rollup points of one site.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { SqliteStore } from '../../core/store/sqlite-store.js'
import type { Point } from '../../core/store/store.js'

const { values: args } = parseArgs({
  options: {
    points: { type: 'string', default: '1000000' },
    devices: { type: 'string', default: '1000' },
    sync: { type: 'string', default: 'full' },
    dir: { type: 'string' },
    queries: { type: 'string', default: '200' },
  },
})
const totalPoints = Number(args.points)
const devices = Number(args.devices)
const queries = Number(args.queries)
const sync = args.sync === 'normal' ? 'normal' : 'full'
const batchSize = 5000
const minuteMs = 60_000
const start = Date.UTC(2026, 0, 1)
const fractions = ['glass', 'paper', 'plastic', 'organic', 'residual']

function point(i: number): Point {
  const device = i % devices
  const step = Math.floor(i / devices)
  return {
    measurement: 'waste_container',
    tags: { tenant: 'antwerp', site: `site-${device % 20}`, device: `bin-${device}`, kind: 'waste_container', fraction: fractions[device % fractions.length] as string },
    fields: { filling_level: (step % 100) / 100, temperature_c: 15 + (i % 17) / 3, status: step % 50 === 0 ? 'ok' : 'lidOpen', lid_open: step % 7 === 0 },
    time: start + step * minuteMs,
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

async function timeQueries(name: string, run: (n: number) => Promise<unknown[]>): Promise<void> {
  const times: number[] = []
  let rows = 0
  for (let n = 0; n < queries; n++) {
    const began = performance.now()
    rows += (await run(n)).length
    times.push(performance.now() - began)
  }
  times.sort((a, b) => a - b)
  console.log(`${name}: p50 ${percentile(times, 50).toFixed(2)} ms, p95 ${percentile(times, 95).toFixed(2)} ms, ${(rows / queries).toFixed(0)} rows each`)
}

const dir = args.dir ?? mkdtempSync(join(tmpdir(), 'embedded-store-bench-'))
const path = join(dir, 'store.db')
const store = new SqliteStore({ path, synchronous: sync }, pino({ level: 'silent' }))
await store.ensureReady()

console.log(`SQLite store, synchronous=${sync}, ${totalPoints} points from ${devices} devices, batches of ${batchSize}, file ${path}`)
const batchTimes: number[] = []
const cpuBefore = process.cpuUsage()
const began = performance.now()
for (let first = 0; first < totalPoints; first += batchSize) {
  const batch = Array.from({ length: Math.min(batchSize, totalPoints - first) }, (_, k) => point(first + k))
  const t = performance.now()
  const outcome = await store.write(batch)
  batchTimes.push(performance.now() - t)
  if (outcome.rejected.length > 0) throw new Error(`rejected: ${outcome.rejected[0]?.reason}`)
}
const seconds = (performance.now() - began) / 1000
const cpu = process.cpuUsage(cpuBefore)
// On a shared machine the wall-clock rate depends on the neighbours; CPU time per point does not.
const cpuSeconds = (cpu.user + cpu.system) / 1e6
batchTimes.sort((a, b) => a - b)
console.log(
  `write: ${Math.round(totalPoints / seconds)} points/s wall (${Math.round((totalPoints * 4) / seconds)} values/s), ${Math.round(totalPoints / cpuSeconds)} points per CPU-second, including building the points; ` +
    `batch p50 ${percentile(batchTimes, 50).toFixed(1)} ms, p95 ${percentile(batchTimes, 95).toFixed(1)} ms, max ${percentile(batchTimes, 100).toFixed(1)} ms`,
)

const lastStep = Math.floor((totalPoints - 1) / devices)
const sixHours = 6 * 60 * minuteMs
const device = (n: number) => `bin-${(n * 7919) % devices}`
const windowStart = (n: number) => start + Math.max(0, ((n * 104_729) % Math.max(1, lastStep - 360)) * minuteMs)
const readingsBase = { measurements: ['waste_container', 'device_health', 'energy_ac'], limit: 10_000 }
await timeQueries('readings, one device, 6 h, all fields', (n) =>
  store.readings({ ...readingsBase, tags: { device: device(n), tenant: 'antwerp' }, from: windowStart(n), to: windowStart(n) + sixHours, fields: [] }),
)
await timeQueries('readings, one device, 6 h, one field', (n) =>
  store.readings({ ...readingsBase, tags: { device: device(n), tenant: 'antwerp' }, from: windowStart(n), to: windowStart(n) + sixHours, fields: ['filling_level'] }),
)
await timeQueries('latest, one device', (n) => store.latest({ measurements: readingsBase.measurements, tags: { device: device(n), tenant: 'antwerp' } }))
await timeQueries('points, one site (50 series), 6 h, limit 100000 per series', (n) =>
  store.points({ measurement: 'waste_container', tags: { tenant: 'antwerp', site: `site-${n % 20}` }, from: windowStart(n), to: windowStart(n) + sixHours, limit: 100_000 }),
)
await store.close()
const bytes = ['store.db', 'store.db-wal'].reduce((sum, name) => sum + (statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0), 0)
console.log(`file: ${(bytes / 1e6).toFixed(0)} MB, ${(bytes / totalPoints).toFixed(0)} bytes per point`)
if (args.dir === undefined) rmSync(dir, { recursive: true, force: true })
