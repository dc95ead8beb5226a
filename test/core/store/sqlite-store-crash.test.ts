import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { SqliteStore } from '../../../core/store/sqlite-store.js'
import { silentLogger } from './test-database.js'
import { crashMeasurement, crashT0 } from './sqlite-store-writer.js'

const batchSize = 500
const acksBeforeKill = 30

let child: ChildProcess | undefined
let dir: string | undefined

afterEach(() => {
  if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  child = undefined
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

/** Starts the writer and resolves with the batches it acknowledged once it has been SIGKILLed. */
async function writeUntilKilled(path: string): Promise<number[]> {
  const writer = spawn(process.execPath, ['--import', 'tsx', 'test/core/store/sqlite-store-writer.ts', path, String(batchSize)], { stdio: ['ignore', 'pipe', 'inherit'] })
  child = writer
  const exited = new Promise<NodeJS.Signals | null>((resolve) => writer.once('exit', (_code, signal) => resolve(signal)))
  const acked: number[] = []
  for await (const line of createInterface({ input: writer.stdout })) {
    const match = /^acked (\d+)$/.exec(line)
    if (match) acked.push(Number(match[1]))
    // Killed while it keeps writing, so the kill usually lands inside a transaction.
    if (acked.length === acksBeforeKill) writer.kill('SIGKILL')
  }
  expect(await exited).toBe('SIGKILL')
  return acked
}

describe('SqliteStore after the writing process is SIGKILLed', () => {
  it('should hold every acknowledged batch, and every batch it holds whole', async () => {
    dir = mkdtempSync(join(tmpdir(), 'circular-sqlite-crash-'))
    const path = join(dir, 'store.db')
    const acked = await writeUntilKilled(path)
    expect(acked).toEqual(Array.from({ length: acked.length }, (_, i) => i))
    expect(acked.length).toBeGreaterThanOrEqual(acksBeforeKill)

    const store = new SqliteStore({ path }, silentLogger)
    try {
      const points = await store.points({ measurement: crashMeasurement, tags: {}, from: crashT0, to: crashT0 + 1e9, limit: 1e9 })
      const perBatch = new Map<number, number>()
      for (const p of points) perBatch.set(p.fields.batch as number, (perBatch.get(p.fields.batch as number) ?? 0) + 1)
      for (const batch of acked) expect(perBatch.get(batch), `batch ${batch}`).toBe(batchSize)
      // A transaction is all or nothing: a batch cut short by the kill is absent, never partial.
      for (const [batch, count] of perBatch) expect(count, `batch ${batch}`).toBe(batchSize)
      // The store still takes writes after recovering its WAL.
      expect(await store.write([{ measurement: crashMeasurement, tags: { device: 'after' }, fields: { batch: -1 }, time: crashT0 }])).toEqual({ written: 1, rejected: [] })
    } finally {
      await store.close()
    }
  })
})
