import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { EmbeddedBus } from '../../../core/bus/embedded-bus.js'
import { PlatformError } from '../../../models/errors.js'
import { testLogger, waitFor } from '../../support/pipeline.js'
import { busFile, crashGroup, crashTopics } from './fixtures/embedded-bus-worker.js'

const worker = 'test/core/bus/fixtures/embedded-bus-worker.ts'

function startWorker(mode: 'run' | 'drain', dir: string, run: number): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, mode, dir, String(run)], { stdio: ['ignore', 'inherit', 'inherit'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, exited }
}

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0) : [])

/**
 * The embedded bus killed with SIGKILL while it publishes and while a consumer group copies
 * records to a second topic, then restarted on the same file: what `publish` acknowledged is
 * there, every record is copied at least once, and only records past the committed offsets are
 * copied again.
 */
describe('embedded bus after SIGKILL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'circular-embedded-crash-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('should keep every acknowledged record and redeliver exactly the uncommitted ones', async () => {
    const first = startWorker('run', dir, 1)
    try {
      await waitFor(() => lines(join(dir, 'acked.log')).length >= 3000 && lines(join(dir, 'handled.log')).length >= 20, 60_000, 'the worker to publish and consume')
      // While it runs, the file is its alone.
      let refusal: unknown
      try {
        new EmbeddedBus({ path: busFile(dir) }, testLogger)
      } catch (error) {
        refusal = error
      }
      expect(PlatformError.is(refusal, 'BUS_LOCKED'), String(refusal)).toBe(true)
      expect((refusal as PlatformError).message).toContain(`process ${first.child.pid}`)
    } finally {
      first.child.kill('SIGKILL')
      await first.exited
    }
    const acked = lines(join(dir, 'acked.log'))

    // The lock died with the process: the file opens at once.
    const inspector = new EmbeddedBus({ path: busFile(dir) }, testLogger)
    const committedAtKill = new Map<number, bigint>()
    try {
      const published = await inspector.readAll(crashTopics.in)
      const ends = new Map<number, bigint>()
      for (const r of published) ends.set(r.partition, BigInt(r.offset) + 1n)
      for (const { partition, lag } of await inspector.lag(crashGroup, [crashTopics.in])) committedAtKill.set(partition, (ends.get(partition) ?? 0n) - BigInt(lag))
      const publishedValues = new Set(published.map((r) => r.value.toString()))
      expect(acked.filter((n) => !publishedValues.has(n)), 'acknowledged but lost').toEqual([])
    } finally {
      await inspector.close()
    }

    const second = startWorker('drain', dir, 2)
    expect(await second.exited).toBe(0)

    const bus = new EmbeddedBus({ path: busFile(dir) }, testLogger)
    try {
      const published = await bus.readAll(crashTopics.in)
      const copies = await bus.readAll(crashTopics.out)
      const copied = new Set(copies.map((r) => r.value.toString()))
      expect(published.length).toBeGreaterThanOrEqual(acked.length)
      expect(published.filter((r) => !copied.has(r.value.toString())).map((r) => r.value.toString()), 'never consumed').toEqual([])

      const source = (r: (typeof copies)[number]) => ({ partition: Number(r.headers['source-partition']), offset: BigInt(r.headers['source-offset']!) })
      const isCommitted = (s: { partition: number; offset: bigint }) => s.offset < (committedAtKill.get(s.partition) ?? 0n)
      // A commit that landed means its batch's copies landed first, and the batch never comes again.
      const copiedBeforeKill = new Set(copies.filter((r) => r.headers.run === '1').map((r) => `${source(r).partition}/${source(r).offset}`))
      const committed = published.filter((r) => isCommitted({ partition: r.partition, offset: BigInt(r.offset) }))
      expect(committed.length).toBeGreaterThan(0)
      expect(committed.filter((r) => !copiedBeforeKill.has(`${r.partition}/${r.offset}`)).length, 'committed without its copy').toBe(0)
      expect(copies.filter((r) => r.headers.run === '2' && isCommitted(source(r))).length, 'committed yet redelivered').toBe(0)
    } finally {
      await bus.close()
    }
  }, 120_000)
})
