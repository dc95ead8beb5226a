import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import type { BatchContext, IncomingRecord, OutgoingRecord } from '../../../core/bus/bus.js'
import { EmbeddedBus, type EmbeddedBusOptions } from '../../../core/bus/embedded-bus.js'
import { PlatformError } from '../../../models/errors.js'
import { testLogger, waitFor } from '../../support/pipeline.js'

/** What the contract suite leaves to each implementation: the embedded bus's own promises. */
describe('embedded bus', () => {
  const dir = mkdtempSync(join(tmpdir(), 'circular-embedded-bus-'))
  const buses: EmbeddedBus[] = []
  let files = 0
  const open = (options: Partial<EmbeddedBusOptions> = {}, path = join(dir, `bus-${++files}.sqlite`)) => {
    const bus = new EmbeddedBus({ path, ...options }, testLogger)
    buses.push(bus)
    return bus
  }
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const record = (topic: string, key: string, value: string): OutgoingRecord => ({ topic, key, value: Buffer.from(value), headers: {} })
  const gate = () => {
    let open!: () => void
    const opened = new Promise<void>((resolve) => (open = resolve))
    return { open, opened }
  }

  test('a second bus on the same file should be refused with BUS_LOCKED until the first is closed', async () => {
    const path = join(dir, 'locked.sqlite')
    const first = open({}, path)
    let refusal: unknown
    try {
      open({}, path)
    } catch (error) {
      refusal = error
    }
    expect(PlatformError.is(refusal, 'BUS_LOCKED'), String(refusal)).toBe(true)
    expect((refusal as PlatformError).message).toContain(`process ${process.pid}`)
    await first.close()
    expect(await open({}, path).ping()).toBe(true)
  })

  test('unknown topics should be refused with BUS_TOPIC_UNKNOWN', async () => {
    const bus = open()
    await expect(bus.publish([record('nowhere', 'k', 'v')])).rejects.toMatchObject({ code: 'BUS_TOPIC_UNKNOWN' })
    await expect(bus.consume({ groupId: 'g', topics: ['nowhere'], handleBatch: async () => undefined })).rejects.toMatchObject({ code: 'BUS_TOPIC_UNKNOWN' })
    await expect(bus.readAll('nowhere')).rejects.toMatchObject({ code: 'BUS_TOPIC_UNKNOWN' })
  })

  test('close should be idempotent, and a closed bus should refuse work and answer ping with false', async () => {
    const bus = open()
    await bus.ensureTopics([{ topic: 't', partitions: 1 }])
    await Promise.all([bus.close(), bus.close()])
    await bus.close()
    expect(await bus.ping()).toBe(false)
    await expect(bus.publish([record('t', 'k', 'v')])).rejects.toMatchObject({ code: 'SHUTTING_DOWN' })
  })

  test('partitions should cap the partition count of new topics', async () => {
    const bus = open({ partitions: 2 })
    await bus.ensureTopics([{ topic: 't', partitions: 6 }])
    await bus.publish(Array.from({ length: 50 }, (_, i) => record('t', `device-${i}`, 'v')))
    expect(new Set((await bus.readAll('t')).map((r) => r.partition))).toEqual(new Set([0, 1]))
  })

  test('batches should hold at most batch.maxRecords records', async () => {
    const bus = open({ batch: { maxRecords: 7 } })
    await bus.ensureTopics([{ topic: 't', partitions: 1 }])
    await bus.publish(Array.from({ length: 50 }, (_, i) => record('t', 'k', `${i}`)))
    const sizes: number[] = []
    await bus.consume({ groupId: 'g', topics: ['t'], handleBatch: async (records) => void sizes.push(records.length) })
    await waitFor(() => sizes.reduce((a, b) => a + b, 0) >= 50, 10_000, 'all records')
    expect(Math.max(...sizes)).toBe(7)
  })

  test('partitionsInParallel should bound how many partitions are in handlers at once', async () => {
    const bus = open()
    await bus.ensureTopics([{ topic: 't', partitions: 3 }])
    await bus.publish(Array.from({ length: 60 }, (_, i) => record('t', `device-${i}`, `${i}`)))
    const run = async (parallel: number) => {
      let inHandler = 0
      let most = 0
      let handled = 0
      let allIn = false
      const consumption = await bus.consume({
        groupId: `g-${parallel}`,
        topics: ['t'],
        partitionsInParallel: parallel,
        handleBatch: async (records) => {
          most = Math.max(most, ++inHandler)
          if (inHandler >= parallel) allIn = true
          // Stays in the handler until as many partitions as allowed are in handlers.
          await waitFor(() => allIn, 10_000, `${parallel} partitions in handlers`)
          await new Promise((resolve) => setImmediate(resolve))
          inHandler--
          handled += records.length
        },
      })
      await waitFor(() => handled >= 60, 10_000, 'all records')
      await consumption.stop()
      return most
    }
    expect(await run(1)).toBe(1)
    expect(await run(3)).toBe(3)
  })

  test('stop should let the batch in hand finish and commit, with isActive false meanwhile', async () => {
    const bus = open()
    await bus.ensureTopics([{ topic: 't', partitions: 1 }])
    await bus.publish([record('t', 'k', 'first')])
    const release = gate()
    let context: BatchContext | undefined
    let finished = false
    const consumption = await bus.consume({
      groupId: 'g',
      topics: ['t'],
      handleBatch: async (_records, ctx) => {
        context = ctx
        await release.opened
        finished = true
      },
    })
    await waitFor(() => context, 10_000, 'the batch in hand')
    expect(context!.isActive()).toBe(true)
    const stopped = consumption.stop()
    expect(context!.isActive()).toBe(false)
    release.open()
    await stopped
    expect(finished).toBe(true)
    expect(await bus.lag('g', ['t'])).toEqual([{ topic: 't', partition: 0, lag: 0, position: 1 }])
  })

  test('members joining and leaving a group should get onAssignment and take over the partitions', async () => {
    const bus = open()
    await bus.ensureTopics([{ topic: 't', partitions: 3 }])
    const seen = { a: [] as IncomingRecord[], b: [] as IncomingRecord[] }
    const assignments = { a: 0, b: 0 }
    const member = (name: 'a' | 'b') =>
      bus.consume({ groupId: 'g', topics: ['t'], handleBatch: async (records) => void seen[name].push(...records), onAssignment: () => assignments[name]++ })
    await member('a')
    expect(assignments.a).toBe(1)
    const b = await member('b')
    expect([assignments.a, assignments.b]).toEqual([2, 1])
    await b.stop()
    expect(assignments.a).toBe(3)

    await bus.publish(Array.from({ length: 30 }, (_, i) => record('t', `device-${i}`, `${i}`)))
    await waitFor(() => seen.a.length >= 30, 10_000, 'every record at the remaining member')
    expect(new Set(seen.a.map((r) => r.partition))).toEqual(new Set([0, 1, 2]))
    expect(seen.b).toEqual([])
  })

  test('copartitioned members should get partition p of every topic together', async () => {
    const bus = open()
    await bus.ensureTopics([
      { topic: 'x', partitions: 3 },
      { topic: 'y', partitions: 3 },
    ])
    const seen = new Map<string, IncomingRecord[]>([
      ['a', []],
      ['b', []],
    ])
    for (const name of ['a', 'b']) {
      await bus.consume({ groupId: 'g', topics: ['x', 'y'], copartitioned: true, handleBatch: async (records) => void seen.get(name)!.push(...records) })
    }
    const keys = Array.from({ length: 30 }, (_, i) => `device-${i}`)
    await bus.publish(keys.flatMap((key) => [record('x', key, 'x'), record('y', key, 'y')]))
    await waitFor(() => seen.get('a')!.length + seen.get('b')!.length >= 60, 10_000, 'every record')
    for (const [name, records] of seen) {
      const of = (topic: string) => new Set(records.filter((r) => r.topic === topic).map((r) => r.partition))
      expect(of('x'), name).toEqual(of('y'))
    }
  })

  test('lag should count what a group has not committed, from the oldest retained record', async () => {
    const bus = open()
    await bus.ensureTopics([{ topic: 't', partitions: 1 }])
    await bus.publish(Array.from({ length: 10 }, (_, i) => record('t', 'k', `${i}`)))
    expect(await bus.lag('never-consumed', ['t'])).toEqual([{ topic: 't', partition: 0, lag: 10, position: 0 }])
    let handled = 0
    const consumption = await bus.consume({ groupId: 'g', topics: ['t'], handleBatch: async (records) => void (handled += records.length) })
    await waitFor(() => handled >= 10, 10_000, 'all records')
    await consumption.stop()
    await bus.publish([record('t', 'k', 'more')])
    expect(await bus.lag('g', ['t'])).toEqual([{ topic: 't', partition: 0, lag: 1, position: 10 }])
  })

  test('compaction should take a deleted key\'s records, and its tombstone once older than the retention', async () => {
    const bus = open({ retentionMs: 1 })
    await bus.ensureTopics([{ topic: 'c', partitions: 1, compacted: true }])
    await bus.publish([record('c', 'gone', 'v1'), record('c', 'kept', 'v1'), record('c', 'gone', 'v2')])
    await bus.publish([{ topic: 'c', key: 'gone', value: Buffer.alloc(0), headers: {}, tombstone: true }])
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await bus.maintain()).toBe(3)
    expect((await bus.readAll('c')).map((r) => [r.key, r.value.toString()])).toEqual([['kept', 'v1']])
  })

  test('retention should delete old records only where every live group has committed past them', async () => {
    const bus = open({ retentionMs: 1, batch: { maxRecords: 3 } })
    await bus.ensureTopics([{ topic: 't', partitions: 1 }])
    await bus.publish(Array.from({ length: 10 }, (_, i) => record('t', 'k', `${i}`)))
    let handled = 0
    await bus.consume({
      groupId: 'slow',
      topics: ['t'],
      handleBatch: async (records) => {
        // Commits the first two batches (six records) only.
        if (handled >= 6) throw new Error('stuck')
        handled += records.length
      },
    })
    await waitFor(() => handled >= 6, 10_000, 'six records committed')
    expect(await bus.lag('slow', ['t'])).toEqual([{ topic: 't', partition: 0, lag: 4, position: 6 }])
    // Every record is past the retention of 1 ms, but `slow`, still consuming, has not read the last four.
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await bus.maintain()).toBe(6)
    expect((await bus.readAll('t')).map((r) => r.value.toString())).toEqual(['6', '7', '8', '9'])

    // Offsets keep counting after the oldest records are gone; a new group starts at the oldest left.
    await bus.publish([record('t', 'k', '10')])
    expect((await bus.readAll('t')).at(-1)!.offset).toBe('10')
    const fresh: string[] = []
    await bus.consume({ groupId: 'fresh', topics: ['t'], handleBatch: async (records) => void fresh.push(...records.map((r) => r.value.toString())) })
    await waitFor(() => fresh.includes('10'), 10_000, 'the new record')
    expect(fresh).toEqual(['6', '7', '8', '9', '10'])
  })

  test('retention should keep records younger than the retention', async () => {
    const bus = open({ retentionMs: 3_600_000 })
    await bus.ensureTopics([{ topic: 't', partitions: 1 }])
    await bus.publish(Array.from({ length: 5 }, (_, i) => record('t', 'k', `${i}`)))
    expect(await bus.maintain()).toBe(0)
    expect(await bus.readAll('t')).toHaveLength(5)
  })

  test('compaction should keep the newest record per key and what a group has not read yet', async () => {
    const bus = open()
    await bus.ensureTopics([{ topic: 'c', partitions: 1, compacted: true }])
    await bus.publish([record('c', 'a', 'a1'), record('c', 'b', 'b1'), record('c', 'a', 'a2')])
    let handled = 0
    const reader = await bus.consume({ groupId: 'reader', topics: ['c'], handleBatch: async (records) => void (handled += records.length) })
    await waitFor(() => handled >= 3, 10_000, 'the reader to commit')
    await reader.stop()
    // Unread by `reader`: b2 supersedes b1, a3 and a4 supersede a1 and a2, which were read and
    // may go; a3 is superseded too but unread, so it stays for the reader.
    await bus.publish([record('c', 'b', 'b2'), record('c', 'a', 'a3'), record('c', 'a', 'a4')])

    expect(await bus.maintain()).toBe(3)
    const left = await bus.readAll('c')
    expect(left.map((r) => r.value.toString())).toEqual(['b2', 'a4'])
    const replay: string[] = []
    await bus.consume({ groupId: 'reader', topics: ['c'], handleBatch: async (records) => void replay.push(...records.map((r) => r.value.toString())) })
    await waitFor(() => replay.includes('a4'), 10_000, 'the unread records')
    expect(replay).toEqual(['b2', 'a3', 'a4'])
  })
})
