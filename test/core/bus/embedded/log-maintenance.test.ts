import { afterEach, describe, expect, test, vi } from 'vitest'
import type { OutgoingRecord } from '../../../../core/bus/bus.js'
import { LogMaintenance } from '../../../../core/bus/embedded/log-maintenance.js'
import { topicPartition } from '../../../../core/bus/embedded/record-log.js'
import { busFiles } from './bus-file.js'

const day = 86_400_000
const retentionMs = 7 * day
const t0 = Date.parse('2026-01-01T00:00:00Z')

const files = busFiles()
afterEach(() => {
  vi.useRealTimers()
  files.cleanup()
})

const record = (topic: string, key: string, value: string): OutgoingRecord => ({ topic, key, value: Buffer.from(value), headers: {} })
const never = (): boolean => false

function setup() {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(t0)
  const file = files.open([
    { topic: 'readings', partitions: 1 },
    { topic: 'state', partitions: 1, compacted: true },
  ])
  const readings = topicPartition(file.log.requireTopic('readings'), 0)
  const state = topicPartition(file.log.requireTopic('state'), 0)
  const offsetsLeft = (tp: typeof readings): string[] => file.log.fetch(tp, 0, 100_000, Number.MAX_SAFE_INTEGER).map((r) => r.offset)
  return { ...file, readings, state, offsetsLeft, maintenance: new LogMaintenance(file.log, file.offsets, file.db, retentionMs) }
}

describe('LogMaintenance retention', () => {
  test('should delete records past the retention only below what every live group has committed', async () => {
    const { log, offsets, readings, offsetsLeft, maintenance } = setup()
    log.append(['a', 'b', 'c', 'd', 'e'].map((v) => record('readings', 'k', v)))
    offsets.commit('sink', readings, 2)
    vi.setSystemTime(t0 + retentionMs + 1)
    // The sink consumes in this process, so it counts as live although it committed long ago.
    expect(await maintenance.run(['sink'], never)).toBe(2)
    expect(offsetsLeft(readings)).toEqual(['2', '3', '4'])
    expect(log.low(readings)).toBe(2)
  })

  test('a group that neither consumes nor committed within the retention should hold nothing back', async () => {
    const { log, offsets, readings, offsetsLeft, maintenance } = setup()
    log.append(['a', 'b', 'c'].map((v) => record('readings', 'k', v)))
    offsets.commit('gone', readings, 0)
    vi.setSystemTime(t0 + retentionMs + 1)
    expect(await maintenance.run([], never)).toBe(3)
    expect(offsetsLeft(readings)).toEqual([])
  })

  test('records younger than the retention should stay, also those after them', async () => {
    const { log, readings, offsetsLeft, maintenance } = setup()
    log.append(['old-1', 'old-2'].map((v) => record('readings', 'k', v)))
    vi.setSystemTime(t0 + day)
    log.append(['young'].map((v) => record('readings', 'k', v)))
    vi.setSystemTime(t0 + retentionMs + 1)
    expect(await maintenance.run([], never)).toBe(2)
    expect(offsetsLeft(readings)).toEqual(['2'])
    expect(await maintenance.run([], never)).toBe(0)
  })

  test('should delete a large backlog in chunks, all of it', async () => {
    const { log, readings, offsetsLeft, maintenance } = setup()
    log.append(Array.from({ length: 12_345 }, (_, i) => record('readings', 'k', String(i))))
    vi.setSystemTime(t0 + retentionMs + 1)
    expect(await maintenance.run([], never)).toBe(12_345)
    expect(offsetsLeft(readings)).toEqual([])
    expect(log.end(readings)).toBe(12_345)
  })

  test('should stop as soon as the bus is closing', async () => {
    const { log, readings, offsetsLeft, maintenance } = setup()
    log.append(['a', 'b'].map((v) => record('readings', 'k', v)))
    vi.setSystemTime(t0 + retentionMs + 1)
    expect(await maintenance.run([], () => true)).toBe(0)
    expect(offsetsLeft(readings)).toEqual(['0', '1'])
  })
})

describe('LogMaintenance compaction', () => {
  test('should delete records superseded by a newer one of the same key, whatever their age, below every live group\'s offset', async () => {
    const { log, offsets, state, maintenance } = setup()
    // Offsets: 0 k1, 1 k2, 2 k1, 3 k2, 4 k1.
    log.append(['k1', 'k2', 'k1', 'k2', 'k1'].map((key, i) => record('state', key, `${key}@${i}`)))
    // The group has read up to offset 1: only k1@0 lies below it among the superseded ones.
    offsets.commit('alerts', state, 1)
    expect(await maintenance.run(['alerts'], never)).toBe(1)
    expect(log.fetch(state, 0, 10, 1 << 20).map((r) => r.value.toString())).toEqual(['k2@1', 'k1@2', 'k2@3', 'k1@4'])
    offsets.commit('alerts', state, 3)
    expect(await maintenance.run(['alerts'], never)).toBe(2)
    expect(log.fetch(state, 0, 10, 1 << 20).map((r) => r.value.toString())).toEqual(['k2@3', 'k1@4'])
  })

  test('without live groups compaction should keep the newest record of every key', async () => {
    const { log, state, maintenance } = setup()
    log.append(['a', 'b', 'a', 'a', 'c', 'b'].map((key, i) => record('state', key, `${key}@${i}`)))
    expect(await maintenance.run([], never)).toBe(3)
    expect(log.readAll(log.requireTopic('state')).map((r) => r.value.toString())).toEqual(['a@3', 'c@4', 'b@5'])
    expect(log.fetch(state, 0, 10, 1 << 20).map((r) => r.value.toString())).toEqual(['a@3', 'c@4', 'b@5'])
  })

  test('should mark the groups that consume as live', async () => {
    const { offsets, state, maintenance } = setup()
    offsets.commit('alerts', state, 0)
    vi.setSystemTime(t0 + retentionMs + 1)
    expect(offsets.lowestCommitted(state, Date.now() - retentionMs)).toBeUndefined()
    await maintenance.run(['alerts'], never)
    expect(offsets.lowestCommitted(state, Date.now() - retentionMs)).toBe(0)
  })
})
