/**
 * Child process of sqlite-store-crash.test.ts: writes batches to the embedded store until it is
 * killed, and prints `acked <batch>` only after that batch's write has resolved.
 *
 *   node --import tsx test/core/store/sqlite-store-writer.ts <path> <points per batch>
 */
import { pino } from 'pino'
import { SqliteStore } from '../../../core/store/sqlite-store.js'
import type { Point } from '../../../core/store/store.js'

export const crashMeasurement = 'crash_test'
export const crashT0 = Date.UTC(2026, 0, 1)

export function crashBatch(batch: number, size: number): Point[] {
  return Array.from({ length: size }, (_, i) => ({
    measurement: crashMeasurement,
    tags: { device: `dev-${i % 10}` },
    fields: { batch, seq: i, note: `batch ${batch} point ${i}` },
    time: crashT0 + batch * size + i,
  }))
}

async function main(path: string, size: number): Promise<void> {
  const store = new SqliteStore({ path }, pino({ level: 'silent' }))
  await store.ensureReady()
  for (let batch = 0; ; batch++) {
    const outcome = await store.write(crashBatch(batch, size))
    if (outcome.rejected.length > 0) throw new Error(`batch ${batch}: ${outcome.rejected[0]?.reason}`)
    process.stdout.write(`acked ${batch}\n`)
  }
}

if (process.argv[1]?.endsWith('sqlite-store-writer.ts')) {
  const [path, size] = process.argv.slice(2)
  if (path === undefined || size === undefined) throw new Error('usage: sqlite-store-writer.ts <path> <points per batch>')
  await main(path, Number(size))
}
