import { afterEach, describe, expect, test } from 'vitest'
import type { OutgoingRecord } from '../../../../core/bus/bus.js'
import { openLogFile } from '../../../../core/bus/embedded/log-file.js'
import { partitionForKey } from '../../../../core/bus/embedded/partitioner.js'
import { RecordLog, topicPartition } from '../../../../core/bus/embedded/record-log.js'
import { busFiles, keyFor } from './bus-file.js'

const files = busFiles()
afterEach(() => files.cleanup())

const record = (topic: string, key: string, value: string, headers: Record<string, string> = {}): OutgoingRecord => ({ topic, key, value: Buffer.from(value), headers })
const values = (records: readonly { value: Buffer }[]): string[] => records.map((r) => r.value.toString())

describe('RecordLog topics', () => {
  test('createTopics should cap partitions, keep existing topics as they are and create a repeated spec once', () => {
    const { log } = files.open()
    log.createTopics([{ topic: 'raw', partitions: 8 }, { topic: 'state', partitions: 2, compacted: true }, { topic: 'raw', partitions: 8 }], 3)
    expect(log.topic('raw')).toMatchObject({ name: 'raw', partitions: 3, compacted: false })
    expect(log.topic('state')).toMatchObject({ partitions: 2, compacted: true })
    log.createTopics([{ topic: 'raw', partitions: 1, compacted: true }], 3)
    expect(log.topic('raw')).toMatchObject({ partitions: 3, compacted: false })
    expect(log.allTopics().map((t) => t.name).sort()).toEqual(['raw', 'state'])
    expect(log.partitionsOf(log.requireTopic('raw')).map((tp) => [tp.partition, tp.id])).toEqual([
      [0, `${log.topic('raw')!.id}:0`],
      [1, `${log.topic('raw')!.id}:1`],
      [2, `${log.topic('raw')!.id}:2`],
    ])
  })

  test('a spec without a positive whole number of partitions should be refused and create none of the specs', () => {
    const { log } = files.open()
    for (const partitions of [0, 1.5, -1]) {
      expect(() => log.createTopics([{ topic: 'fine', partitions: 1 }, { topic: 'bad', partitions }], 10)).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', message: `topic "bad" needs a positive whole number of partitions, not ${partitions}` }),
      )
    }
    expect(log.allTopics()).toEqual([])
  })

  test('an unknown topic should be refused with BUS_TOPIC_UNKNOWN', () => {
    const { log } = files.open()
    expect(log.topic('nope')).toBeUndefined()
    expect(() => log.requireTopic('nope')).toThrow(expect.objectContaining({ code: 'BUS_TOPIC_UNKNOWN', message: 'topic "nope" does not exist on the embedded bus; create it with ensureTopics' }))
  })
})

describe('RecordLog records', () => {
  test('append should give each partition growing offsets from zero and keep a key in its partition', () => {
    const { log } = files.open([{ topic: 'raw', partitions: 3 }])
    const topic = log.requireTopic('raw')
    const [a, b] = [keyFor(0, 3), keyFor(2, 3)]
    const before = Date.now()
    log.append([record('raw', a, 'a1'), record('raw', b, 'b1'), record('raw', a, 'a2')])
    log.append([record('raw', a, 'a3')])
    const p0 = topicPartition(topic, 0)
    const p2 = topicPartition(topic, 2)
    expect([log.end(p0), log.end(topicPartition(topic, 1)), log.end(p2)]).toEqual([3, 0, 1])
    const fetched = log.fetch(p0, 0, 10, Number.MAX_SAFE_INTEGER)
    expect(fetched.map((r) => [r.topic, r.partition, r.offset, r.key, r.value.toString()])).toEqual([
      ['raw', 0, '0', a, 'a1'],
      ['raw', 0, '1', a, 'a2'],
      ['raw', 0, '2', a, 'a3'],
    ])
    for (const r of fetched) expect(r.timestamp).toBeGreaterThanOrEqual(before)
    expect(partitionForKey(b, 3)).toBe(2)
  })

  test('headers should come back as given, and no headers as an empty object', () => {
    const { log } = files.open([{ topic: 'raw', partitions: 1 }])
    log.append([record('raw', 'k', 'x', { tenant: 'ghent', 'mqtt-topic': 'devices/bin-1/senml' }), record('raw', 'k', 'y')])
    const [withHeaders, without] = log.fetch(topicPartition(log.requireTopic('raw'), 0), 0, 10, 1 << 20)
    expect(withHeaders?.headers).toEqual({ tenant: 'ghent', 'mqtt-topic': 'devices/bin-1/senml' })
    expect(without?.headers).toEqual({})
  })

  test('an append naming an unknown topic should add nothing at all', () => {
    const { log } = files.open([{ topic: 'raw', partitions: 1 }])
    const tp = topicPartition(log.requireTopic('raw'), 0)
    expect(() => log.append([record('raw', 'k', 'x'), record('elsewhere', 'k', 'y')])).toThrow(expect.objectContaining({ code: 'BUS_TOPIC_UNKNOWN' }))
    expect(log.end(tp)).toBe(0)
    expect(log.fetch(tp, 0, 10, 1 << 20)).toEqual([])
  })

  test('fetch should stop at the record count or once the values reach the byte limit, and hand out a record larger than it', () => {
    const { log } = files.open([{ topic: 'raw', partitions: 1 }])
    const tp = topicPartition(log.requireTopic('raw'), 0)
    log.append(['0123456789', 'abcdefghij', 'ABCDEFGHIJ', 'klmnopqrst'].map((v) => record('raw', 'k', v)))
    expect(values(log.fetch(tp, 0, 2, 1 << 20))).toEqual(['0123456789', 'abcdefghij'])
    expect(values(log.fetch(tp, 1, 10, 1 << 20))).toEqual(['abcdefghij', 'ABCDEFGHIJ', 'klmnopqrst'])
    // 10 + 10 bytes reach 20; 10 + 10 + 10 are the first to reach 25.
    expect(log.fetch(tp, 0, 10, 20)).toHaveLength(2)
    expect(log.fetch(tp, 0, 10, 25)).toHaveLength(3)
    expect(log.fetch(tp, 0, 10, 1)).toHaveLength(1)
    expect(log.fetch(tp, 4, 10, 1 << 20)).toEqual([])
  })

  test('low should be the oldest offset still in the file, and the end once none is left', () => {
    const { db, log } = files.open([{ topic: 'raw', partitions: 1 }])
    const tp = topicPartition(log.requireTopic('raw'), 0)
    expect(log.low(tp)).toBe(0)
    log.append(['a', 'b', 'c'].map((v) => record('raw', 'k', v)))
    db.prepare('DELETE FROM record WHERE offset < 2').run()
    expect(log.low(tp)).toBe(2)
    db.prepare('DELETE FROM record').run()
    expect(log.low(tp)).toBe(3)
  })

  test('readAll should list a topic in partition and offset order, and only the newest record per key when compacted', () => {
    const { log } = files.open([
      { topic: 'plain', partitions: 2 },
      { topic: 'state', partitions: 2, compacted: true },
    ])
    const [k0, k1, j0] = [keyFor(0, 2, 'k'), keyFor(1, 2, 'k'), keyFor(0, 2, 'j')]
    for (const topic of ['plain', 'state']) log.append([record(topic, k1, '1a'), record(topic, k0, '0a'), record(topic, j0, '0j'), record(topic, k0, '0b'), record(topic, k1, '1b')])
    expect(log.readAll(log.requireTopic('plain')).map((r) => [r.partition, r.offset, r.value.toString()])).toEqual([
      [0, '0', '0a'],
      [0, '1', '0j'],
      [0, '2', '0b'],
      [1, '0', '1a'],
      [1, '1', '1b'],
    ])
    expect(log.readAll(log.requireTopic('state')).map((r) => [r.partition, r.key, r.value.toString()])).toEqual([
      [0, j0, '0j'],
      [0, k0, '0b'],
      [1, k1, '1b'],
    ])
  })

  test('a reopened file should know its topics and keep counting offsets past records that were deleted', () => {
    const first = files.open([{ topic: 'raw', partitions: 1 }], 'reopened.sqlite')
    first.log.append(['a', 'b', 'c'].map((v) => record('raw', 'k', v)))
    first.db.prepare('DELETE FROM record').run()
    first.close()
    const { db } = openLogFile(first.path, 'normal')
    try {
      const log = new RecordLog(db)
      const tp = topicPartition(log.requireTopic('raw'), 0)
      expect(log.end(tp)).toBe(3)
      log.append([record('raw', 'k', 'd')])
      expect(log.fetch(tp, 0, 10, 1 << 20).map((r) => [r.offset, r.value.toString()])).toEqual([['3', 'd']])
    } finally {
      db.close()
    }
  })
})
