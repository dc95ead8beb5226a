/**
 * The bus's behaviour as the broker and the processors rely on it, run against every
 * implementation (Kafka and the embedded SQLite bus) so the two cannot drift apart.
 *
 * Outside this contract, by design:
 * - Kafka compacts in the background, so `readAll` on a compacted topic may still return older
 *   records of a key before its newest one; the embedded bus returns only the newest. Both
 *   promise that the last record of each key is its newest, which is what a changelog reader uses.
 * - How records are cut into batches, and how long a redelivery waits.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { Bus, IncomingRecord, OutgoingRecord } from '../../../core/bus/bus.js'
import { defaultMaxRecordBytes } from '../../../core/bus/record-size.js'
import { waitFor } from '../../support/pipeline.js'

export interface BusUnderTest {
  /** Topic and group names start with this, so that `release` can find what the tests made. */
  readonly namePrefix: string
  /** How long to wait for records to arrive (a Kafka group join takes seconds). */
  readonly waitMs: number
  /** A ready bus on storage of its own. */
  open(): Promise<Bus>
  /** Closes `bus` and opens another on the same storage, as a restarted process would. */
  reopen(bus: Bus): Promise<Bus>
  /** Releases everything the tests created. */
  release(): Promise<void>
}

const partitions = 3

export function busContract(implementation: string, makeSubject: () => BusUnderTest): void {
  describe(`Bus contract: ${implementation}`, () => {
    const subject = makeSubject()
    const opened = new Set<Bus>()
    const open = async () => track(await subject.open())
    const reopen = async (bus: Bus) => {
      opened.delete(bus)
      return track(await subject.reopen(bus))
    }
    const track = (bus: Bus) => {
      opened.add(bus)
      return bus
    }
    const name = (label: string) => `${subject.namePrefix}.${label}.${randomBytes(3).toString('hex')}`
    const until = (what: string, check: () => boolean) => waitFor(check, subject.waitMs, what)

    afterEach(async () => {
      await Promise.all([...opened].map((b) => b.close()))
      opened.clear()
    })
    afterAll(() => subject.release())

    /** Consumes `topics` in `groupId`, collecting every delivered record; `handle` may throw. */
    const consumeInto = async (bus: Bus, groupId: string, topics: string[], handle: (records: readonly IncomingRecord[]) => void = () => undefined, startAt?: 'earliest' | 'latest') => {
      const seen: IncomingRecord[] = []
      const assignments = { count: 0, held: [] as string[] }
      const consumption = await bus.consume({
        groupId,
        topics,
        ...(startAt ? { startAt } : {}),
        handleBatch: async (records) => {
          handle(records)
          seen.push(...records)
        },
        onAssignment: (assigned) => {
          assignments.count++
          assignments.held = assigned.map((a) => `${a.topic}:${a.partition}`).sort()
        },
      })
      return { seen, assignments, consumption, groupId }
    }

    it('ensureTopics should create missing topics, leave existing ones as they are, and be safe to repeat', async () => {
      const bus = await open()
      const existing = name('existing')
      const added = name('added')
      await bus.ensureTopics([{ topic: existing, partitions: 2 }])
      await bus.ensureTopics([{ topic: existing, partitions: 2 }])
      await bus.ensureTopics([
        { topic: existing, partitions: 4 },
        { topic: added, partitions },
      ])
      const keys = Array.from({ length: 40 }, (_, i) => `device-${i}`)
      await bus.publish(keys.map((key) => record(existing, key, key)))
      await bus.publish(keys.map((key) => record(added, key, key)))

      expect(new Set((await bus.readAll(existing)).map((r) => r.partition))).toEqual(new Set([0, 1]))
      expect(new Set((await bus.readAll(added)).map((r) => r.partition))).toEqual(new Set([0, 1, 2]))
    })

    it('ping should answer true', async () => {
      expect(await (await open()).ping()).toBe(true)
    })

    it('publish and consume should carry binary values, non-ASCII keys and headers unchanged', async () => {
      const bus = await open()
      const topic = name('binary')
      await bus.ensureTopics([{ topic, partitions }])
      const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
      const large = randomBytes(200_000)
      const sent: OutgoingRecord[] = [
        { topic, key: 'bin-ü-🚮', value: everyByte, headers: { 'x-ünïcode': 'Wert 🚮', device: 'bin-ü-🚮', blank: '' } },
        { topic, key: 'empty-value', value: Buffer.alloc(0), headers: {} },
        { topic, key: 'large', value: large, headers: { 'received-at': '1767225600000' } },
      ]
      await bus.publish(sent)
      const { seen } = await consumeInto(bus, name('group'), [topic])
      await until('three records', () => seen.length >= 3)

      expect(seen).toHaveLength(3)
      for (const s of sent) {
        const got = seen.find((r) => r.key === s.key)!
        expect(got, s.key).toBeDefined()
        expect(got.topic).toBe(topic)
        expect(got.value.equals(s.value), `value of ${s.key}`).toBe(true)
        expect(got.headers).toEqual(s.headers)
        expect(got.offset).toMatch(/^\d+$/)
        expect(got.partition).toBeGreaterThanOrEqual(0)
        expect(got.partition).toBeLessThan(partitions)
        expect(Number.isFinite(got.timestamp) && got.timestamp > 0).toBe(true)
      }
    })

    it('a record up to the limit should pass whole; a publish with one above it should be refused before any of its records is stored', async () => {
      const bus = await open()
      const topic = name('size')
      await bus.ensureTopics([{ topic, partitions }])
      // Key, value and the record's own overhead (24 bytes) make exactly the default limit.
      const fits = { topic, key: 'fits', value: randomBytes(defaultMaxRecordBytes - 24 - 'fits'.length), headers: {} }
      await bus.publish([fits])
      const tooLarge = { topic, key: 'too-large', value: randomBytes(defaultMaxRecordBytes), headers: {} }
      await expect(bus.publish([record(topic, 'small', 'beside it'), tooLarge])).rejects.toMatchObject({ code: 'RECORD_TOO_LARGE', canRetry: false })
      await bus.publish([record(topic, 'after', 'still open')])

      const stored = await bus.readAll(topic)
      expect(stored.map((r) => r.key).sort()).toEqual(['after', 'fits'])
      expect(stored.find((r) => r.key === 'fits')!.value.equals(fits.value)).toBe(true)
    })

    it('records of one key should stay in one partition and in order, with growing offsets', async () => {
      const bus = await open()
      const topic = name('order')
      await bus.ensureTopics([{ topic, partitions }])
      const keys = ['bin-1', 'bin-2', 'bin-3', 'meter-7', 'scale-9']
      // Publishes in flight at once keep the order of the calls; then more, one after the other.
      await Promise.all(Array.from({ length: 10 }, (_, i) => bus.publish(keys.map((key) => record(topic, key, `${i}`)))))
      for (let i = 10; i < 20; i++) await bus.publish(keys.map((key) => record(topic, key, `${i}`)))
      const { seen } = await consumeInto(bus, name('group'), [topic])
      await until('every record', () => seen.length >= keys.length * 20)

      expect(seen).toHaveLength(keys.length * 20)
      for (const key of keys) {
        const ofKey = seen.filter((r) => r.key === key)
        expect(new Set(ofKey.map((r) => r.partition)).size, key).toBe(1)
        expect(ofKey.map((r) => r.value.toString()), key).toEqual(Array.from({ length: 20 }, (_, i) => `${i}`))
      }
      for (let p = 0; p < partitions; p++) {
        const offsets = seen.filter((r) => r.partition === p).map((r) => BigInt(r.offset))
        expect(offsets, `partition ${p}`).toEqual([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
        expect(new Set(offsets).size, `partition ${p}`).toBe(offsets.length)
      }
    })

    it('a new group starting at the latest should see only what comes after it started, and then resume after its commits', async () => {
      const bus = await open()
      const topic = name('latest')
      const group = name('group')
      await bus.ensureTopics([{ topic, partitions }])
      await bus.publish(values(topic, 'bin-1', ['old-1', 'old-2']).concat(values(topic, 'bin-2', ['old-3'])))
      const first = await consumeInto(bus, group, [topic], undefined, 'latest')
      await until('the assignment', () => first.assignments.count > 0)
      // Where the group starts is settled by its first fetch, a moment after it joined: publish until the group sees one.
      const seenNew = () => first.seen.some((r) => r.value.toString().startsWith('new-'))
      for (let i = 0; !seenNew(); i++) {
        if (i * 250 > subject.waitMs) throw new Error('no record published after the start arrived')
        await bus.publish(values(topic, 'bin-1', [`new-${i}`]))
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
      await first.consumption.stop()
      expect(first.seen.filter((r) => r.value.toString().startsWith('old-'))).toEqual([])

      await bus.publish(values(topic, 'bin-2', ['after-the-stop']))
      const second = await consumeInto(bus, group, [topic], undefined, 'latest')
      await until('the record published while the group was away', () => second.seen.some((r) => r.value.toString() === 'after-the-stop'))
      expect(second.seen.filter((r) => r.value.toString().startsWith('old-'))).toEqual([])
    })

    it('a consumer that stopped after handling should resume after its committed offset', async () => {
      const bus = await open()
      const topic = name('resume')
      const group = name('group')
      await bus.ensureTopics([{ topic, partitions }])
      await bus.publish(values(topic, 'bin-1', ['a1', 'a2', 'a3']))
      const first = await consumeInto(bus, group, [topic])
      await until('the first records', () => first.seen.length >= 3)
      await first.consumption.stop()

      await bus.publish(values(topic, 'bin-1', ['b1', 'b2', 'last']))
      const second = await consumeInto(bus, group, [topic])
      // A redelivered record of the first run would come before `last` in the same partition.
      await until('the last record', () => second.seen.some((r) => r.value.toString() === 'last'))

      expect(first.seen.map((r) => r.value.toString())).toEqual(['a1', 'a2', 'a3'])
      expect(second.seen.map((r) => r.value.toString())).toEqual(['b1', 'b2', 'last'])
    })

    it('a handler that throws should commit nothing and get the same records again', async () => {
      const bus = await open()
      const topic = name('redeliver')
      await bus.ensureTopics([{ topic, partitions }])
      await bus.publish(values(topic, 'bin-1', ['r1', 'r2', 'r3', 'r4']))
      let failed: readonly IncomingRecord[] | undefined
      const { seen } = await consumeInto(bus, name('group'), [topic], (records) => {
        if (failed) return
        failed = records
        throw new Error('the store is down')
      })
      await until('all four after the failure', () => seen.length >= 4)

      expect(failed!.length).toBeGreaterThan(0)
      expect(seen.slice(0, failed!.length).map((r) => r.offset)).toEqual(failed!.map((r) => r.offset))
      expect(seen.map((r) => r.value.toString())).toEqual(['r1', 'r2', 'r3', 'r4'])
    })

    it('after a crash, a new bus instance should get the uncommitted records again and the committed ones not', async () => {
      let bus = await open()
      const topic = name('crash')
      const group = name('group')
      await bus.ensureTopics([{ topic, partitions }])
      await bus.publish(values(topic, 'bin-1', ['c1', 'c2']))
      const handled: string[] = []
      let crashing = false
      const first = await consumeInto(bus, group, [topic], (records) => {
        handled.push(...records.map((r) => r.value.toString()))
        // Dies between doing the work and committing it.
        if (crashing) throw new Error('process died before the commit')
      })
      await until('the committed records', () => first.seen.length >= 2)
      crashing = true
      await bus.publish(values(topic, 'bin-1', ['u1', 'u2']))
      await until('the uncommitted records handled once', () => handled.includes('u2'))

      bus = await reopen(bus)
      const second = await consumeInto(bus, group, [topic])
      await until('the uncommitted records again', () => second.seen.some((r) => r.value.toString() === 'u2'))

      expect(second.seen.map((r) => r.value.toString())).toEqual(['u1', 'u2'])
    })

    it('two consumers of one group should split the partitions and together see every record once', async () => {
      const bus = await open()
      const topic = name('split')
      const group = name('group')
      await bus.ensureTopics([{ topic, partitions }])
      const a = await consumeInto(bus, group, [topic])
      const b = await consumeInto(bus, group, [topic])
      // Publishing only once both hold their share keeps the first records from going all to `a`.
      await until('both consumers assigned', () => a.assignments.held.length > 0 && b.assignments.held.length > 0 && a.assignments.held.length + b.assignments.held.length === partitions)
      // Each is told which partitions it holds: together all of them, none twice.
      expect([...a.assignments.held, ...b.assignments.held].sort()).toEqual(Array.from({ length: partitions }, (_, p) => `${topic}:${p}`).sort())
      const keys = Array.from({ length: 30 }, (_, i) => `device-${i}`)
      await bus.publish(keys.flatMap((key) => values(topic, key, ['1', '2'])))
      await until('every record', () => a.seen.length + b.seen.length >= keys.length * 2)

      const all = [...a.seen, ...b.seen].map((r) => `${r.key}/${r.value.toString()}`)
      expect(all.sort()).toEqual(keys.flatMap((key) => [`${key}/1`, `${key}/2`]).sort())
      const partitionsOf = (records: IncomingRecord[]) => new Set(records.map((r) => r.partition))
      expect(partitionsOf(a.seen).size).toBeGreaterThan(0)
      expect(partitionsOf(b.seen).size).toBeGreaterThan(0)
      expect([...partitionsOf(a.seen)].filter((p) => partitionsOf(b.seen).has(p))).toEqual([])
    })

    it('lag should count the records after the group position of each partition, the position growing with its commits', async () => {
      const bus = await open()
      if (!bus.lag) return
      const topic = name('lag')
      const group = name('group')
      await bus.ensureTopics([{ topic, partitions: 1 }])
      await bus.publish(values(topic, 'bin-1', ['l1', 'l2', 'l3', 'l4', 'l5']))
      expect(await bus.lag(group, [topic])).toEqual([{ topic, partition: 0, lag: 5, position: 0 }])
      const consumer = await consumeInto(bus, group, [topic])
      await until('all five', () => consumer.seen.length >= 5)
      await consumer.consumption.stop()
      expect(await bus.lag(group, [topic])).toEqual([{ topic, partition: 0, lag: 0, position: 5 }])
    })

    it('readAll should return every record published before the call, in order per key', async () => {
      const bus = await open()
      const topic = name('read-all')
      const empty = name('read-all-empty')
      await bus.ensureTopics([
        { topic, partitions },
        { topic: empty, partitions },
      ])
      for (let i = 0; i < 5; i++) await bus.publish(['bin-1', 'bin-2', 'bin-3'].map((key) => record(topic, key, `${i}`)))

      const records = await bus.readAll(topic)
      expect(records).toHaveLength(15)
      for (const key of ['bin-1', 'bin-2', 'bin-3']) {
        expect(records.filter((r) => r.key === key).map((r) => r.value.toString()), key).toEqual(['0', '1', '2', '3', '4'])
      }
      expect(await bus.readAll(empty)).toEqual([])
    })

    it('readAll with partitions should return the records of those partitions only, all of them', async () => {
      const bus = await open()
      const topic = name('read-some')
      await bus.ensureTopics([{ topic, partitions: 3 }])
      const keys = Array.from({ length: 12 }, (_, i) => `bin-${i}`)
      for (let i = 0; i < 3; i++) await bus.publish(keys.map((key) => record(topic, key, `${i}`)))
      // Partitions may come interleaved: compare in partition and offset order.
      const ordered = (records: IncomingRecord[]): IncomingRecord[] => [...records].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
      const all = ordered(await bus.readAll(topic))
      const used = [...new Set(all.map((r) => r.partition))].sort((a, b) => a - b)
      expect(used.length, 'twelve keys over three partitions use at least two').toBeGreaterThanOrEqual(2)
      const [first, ...rest] = used
      const some = ordered(await bus.readAll(topic, { partitions: [first!] }))
      expect(some.length).toBeGreaterThan(0)
      expect(some).toEqual(all.filter((r) => r.partition === first))
      expect(ordered(await bus.readAll(topic, { partitions: rest }))).toEqual(all.filter((r) => r.partition !== first))
      expect(await bus.readAll(topic, { partitions: [] })).toEqual([])
    })

    it('readAll on a compacted topic should end with the newest record of every key', async () => {
      const bus = await open()
      const topic = name('compacted')
      await bus.ensureTopics([{ topic, partitions, compacted: true }])
      await bus.publish([record(topic, 'bin-1', 'v1'), record(topic, 'bin-2', 'v1')])
      await bus.publish([record(topic, 'bin-1', 'v2')])
      await bus.publish([record(topic, 'bin-1', 'v3'), record(topic, 'bin-3', 'v1')])

      const newest = new Map<string, string>()
      for (const r of await bus.readAll(topic)) newest.set(r.key, r.value.toString())
      expect(Object.fromEntries(newest)).toEqual({ 'bin-1': 'v3', 'bin-2': 'v1', 'bin-3': 'v1' })
    })

    it('a tombstone should delete its key: consumers see it as one, and readAll on a compacted topic ends with it or without the key', async () => {
      const bus = await open()
      const topic = name('tombstone')
      await bus.ensureTopics([{ topic, partitions, compacted: true }])
      await bus.publish([record(topic, 'bin-1', 'v1'), record(topic, 'bin-2', 'v1')])
      await bus.publish([{ topic, key: 'bin-1', value: Buffer.alloc(0), headers: {}, tombstone: true }])
      const newest = new Map<string, IncomingRecord>()
      for (const r of await bus.readAll(topic)) newest.set(r.key, r)
      // Compaction may have removed the deleted key's records already, tombstone included, or not yet.
      expect(newest.get('bin-1')?.tombstone ?? true).toBe(true)
      expect(newest.get('bin-1')?.value.length ?? 0).toBe(0)
      expect([newest.get('bin-2')?.value.toString(), newest.get('bin-2')?.tombstone]).toEqual(['v1', undefined])
      const { seen } = await consumeInto(bus, name('group'), [topic])
      await until('the three records', () => seen.length >= 3)
      expect(seen.filter((r) => r.tombstone).map((r) => r.key)).toEqual(['bin-1'])
    })

    it("what a handler publishes through its batch context should appear with the batch's commit, and a failed attempt's never", async () => {
      const bus = await open()
      const input = name('batch-in')
      const output = name('batch-out')
      const group = name('group')
      await bus.ensureTopics([{ topic: input, partitions }, { topic: output, partitions }])
      await bus.publish(values(input, 'bin-1', ['i1', 'i2', 'i3']))
      let attempts = 0
      const discarded: string[] = []
      const consumption = await bus.consume({
        groupId: group,
        topics: [input],
        handleBatch: async (records, context) => {
          attempts++
          context.publish(records.map((r) => record(output, r.key, `${r.value.toString()}@${attempts}`)))
          // The first attempt dies after publishing: its records must never be seen.
          if (attempts === 1) throw new Error('died after publishing')
        },
        onDiscarded: (p) => discarded.push(`${p.topic}:${p.partition}`),
      })
      const out = await consumeInto(bus, name('reader'), [output])
      await until('the outputs of the second attempt', () => out.seen.length >= 3)
      await consumption.stop()
      await new Promise((resolve) => setTimeout(resolve, 500))

      expect(attempts).toBe(2)
      expect(out.seen.map((r) => r.value.toString())).toEqual(['i1@2', 'i2@2', 'i3@2'])
      expect((await bus.readAll(output)).map((r) => r.value.toString())).toEqual(['i1@2', 'i2@2', 'i3@2'])
      // Committed with the outputs: nothing of the input is left for the group.
      if (bus.lag) expect((await bus.lag(group, [input])).reduce((sum, p) => sum + p.lag, 0)).toBe(0)
      // Once read, a topic written that way leaves its reader no lag (on Kafka: past the transaction markers).
      if (bus.lag) await waitFor(async () => (await bus.lag!(out.groupId, [output])).every((p) => p.lag === 0), subject.waitMs, "the reader's lag at 0")
      expect(discarded).toEqual([])
    })

    it('a handler publishing an oversized record through its context should be refused at once, before anything is published', async () => {
      const bus = await open()
      const input = name('batch-big-in')
      const output = name('batch-big-out')
      await bus.ensureTopics([{ topic: input, partitions: 1 }, { topic: output, partitions: 1 }])
      await bus.publish(values(input, 'bin-1', ['x']))
      const refusals: string[] = []
      const consumption = await bus.consume({
        groupId: name('group'),
        topics: [input],
        handleBatch: async (_records, context) => {
          try {
            context.publish([record(output, 'bin-1', 'x'.repeat(defaultMaxRecordBytes + 1))])
          } catch (error) {
            refusals.push((error as { code?: string }).code ?? String(error))
          }
        },
      })
      await until('the refusal', () => refusals.length > 0)
      await consumption.stop()
      expect(refusals[0]).toBe('RECORD_TOO_LARGE')
      expect(await bus.readAll(output)).toEqual([])
    })

    it('a writer opened later under the same id should fence the earlier: its publishes throw BUS_FENCED and write nothing, also when tried again, while the newer and other ids write', async () => {
      const bus = await open()
      const topic = name('fenced')
      await bus.ensureTopics([{ topic, partitions }])
      const id = name('writer')
      const earlier = await bus.openFencedWriter(id)
      await earlier.publish(values(topic, 'bin-1', ['earlier-1', 'earlier-2']))
      const newer = await bus.openFencedWriter(id)
      await expect(earlier.publish([record(topic, 'bin-1', 'earlier-3')])).rejects.toMatchObject({ code: 'BUS_FENCED' })
      await newer.publish([record(topic, 'bin-1', 'newer-1')])
      await expect(earlier.publish([record(topic, 'bin-1', 'earlier-4')])).rejects.toMatchObject({ code: 'BUS_FENCED' })
      await newer.publish([record(topic, 'bin-1', 'newer-2')])
      const other = await bus.openFencedWriter(name('writer'))
      await other.publish([record(topic, 'bin-1', 'other-1')])
      await Promise.all([earlier.close(), newer.close(), other.close()])

      const written = ['earlier-1', 'earlier-2', 'newer-1', 'newer-2', 'other-1']
      expect((await bus.readAll(topic)).map((r) => r.value.toString())).toEqual(written)
      const { seen } = await consumeInto(bus, name('group'), [topic])
      await until('the written records', () => seen.length >= written.length)
      expect(seen.map((r) => r.value.toString())).toEqual(written)
    })

    it('records, partitions and committed offsets should survive closing and reopening the bus', async () => {
      let bus = await open()
      const topic = name('durable')
      const group = name('group')
      await bus.ensureTopics([{ topic, partitions }])
      await bus.publish(values(topic, 'bin-1', ['d1', 'd2', 'd3']))
      const first = await consumeInto(bus, group, [topic])
      await until('the first records', () => first.seen.length >= 3)
      await first.consumption.stop()
      const before = await bus.readAll(topic)

      bus = await reopen(bus)
      expect((await bus.readAll(topic)).map((r) => [r.partition, r.offset, r.value.toString()])).toEqual(before.map((r) => [r.partition, r.offset, r.value.toString()]))
      await bus.publish(values(topic, 'bin-1', ['e1', 'last']))
      const second = await consumeInto(bus, group, [topic])
      await until('the last record', () => second.seen.some((r) => r.value.toString() === 'last'))

      expect(second.seen.map((r) => r.value.toString())).toEqual(['e1', 'last'])
      expect(second.seen.map((r) => r.partition)).toEqual([before[0]!.partition, before[0]!.partition])
      expect(BigInt(second.seen[0]!.offset)).toBe(BigInt(before.at(-1)!.offset) + 1n)
    })
  })
}

function record(topic: string, key: string, value: string): OutgoingRecord {
  return { topic, key, value: Buffer.from(value), headers: {} }
}

function values(topic: string, key: string, list: string[]): OutgoingRecord[] {
  return list.map((v) => record(topic, key, v))
}
