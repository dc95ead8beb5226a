import type { Statement } from 'better-sqlite3'
import { PlatformError } from '../../../models/errors.js'
import type { Headers, IncomingRecord, OutgoingRecord, TopicSpec } from '../bus.js'
import type { SqliteDatabase } from './log-file.js'
import { partitionForKey } from './partitioner.js'

export interface TopicInfo {
  readonly id: number
  readonly name: string
  readonly partitions: number
  readonly compacted: boolean
}

/** One partition of one topic; `id` is a stable string for maps and sets. */
export interface TopicPartition {
  readonly topic: TopicInfo
  readonly partition: number
  readonly id: string
}

export function topicPartition(topic: TopicInfo, partition: number): TopicPartition {
  return { topic, partition, id: `${topic.id}:${partition}` }
}

interface RecordRow {
  readonly partition: number
  readonly offset: number
  readonly timestamp: number
  readonly key: string
  readonly value: Buffer
  readonly headers: string | null
  readonly tombstone: number
}

/**
 * The records of every topic in the bus file: appending in one transaction, reading a partition
 * from an offset, reading a whole topic. The file belongs to this process, so the topics and the
 * partitions' next offsets are kept in memory and the file is only read for records.
 */
export class RecordLog {
  private readonly topics = new Map<string, TopicInfo>()
  /** Next offset per partition (`TopicPartition.id`), as committed to the file. */
  private readonly ends = new Map<string, number>()
  private readonly insertRecord: Statement<[number, number, number, number, string, Buffer, string | null, number]>
  private readonly updateEnd: Statement<[number, number, number]>
  private readonly selectFrom: Statement<[number, number, number, number], RecordRow>
  private readonly selectLow: Statement<[number, number], { low: number | null }>
  private readonly selectTopic: Statement<[number], RecordRow>
  private readonly selectNewestPerKey: Statement<[number], RecordRow>
  private readonly selectPartition: Statement<[number, number], RecordRow>
  private readonly selectPartitionNewestPerKey: Statement<[number, number], RecordRow>
  private readonly appendAll: (records: readonly OutgoingRecord[], timestamp: number, alsoInTransaction?: () => void) => Map<string, number>

  constructor(private readonly db: SqliteDatabase) {
    for (const row of db.prepare<[], { id: number; name: string; partitions: number; compacted: number }>('SELECT id, name, partitions, compacted FROM topic').all()) {
      this.topics.set(row.name, { id: row.id, name: row.name, partitions: row.partitions, compacted: row.compacted === 1 })
    }
    for (const row of db.prepare<[], { topic_id: number; partition: number; next_offset: number }>('SELECT topic_id, partition, next_offset FROM partition_end').all()) {
      this.ends.set(`${row.topic_id}:${row.partition}`, row.next_offset)
    }
    this.insertRecord = db.prepare('INSERT INTO record (topic_id, partition, offset, timestamp, key, value, headers, tombstone) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    this.updateEnd = db.prepare('UPDATE partition_end SET next_offset = ? WHERE topic_id = ? AND partition = ?')
    const columns = 'partition, offset, timestamp, key, value, headers, tombstone'
    this.selectFrom = db.prepare(`SELECT ${columns} FROM record WHERE topic_id = ? AND partition = ? AND offset >= ? ORDER BY offset LIMIT ?`)
    this.selectLow = db.prepare('SELECT min(offset) AS low FROM record WHERE topic_id = ? AND partition = ?')
    this.selectTopic = db.prepare(`SELECT ${columns} FROM record WHERE topic_id = ? ORDER BY partition, offset`)
    this.selectNewestPerKey = db.prepare(
      `SELECT ${columns} FROM (SELECT *, row_number() OVER (PARTITION BY partition, key ORDER BY offset DESC) AS newer FROM record WHERE topic_id = ?) WHERE newer = 1 ORDER BY partition, offset`,
    )
    this.selectPartition = db.prepare(`SELECT ${columns} FROM record WHERE topic_id = ? AND partition = ? ORDER BY offset`)
    this.selectPartitionNewestPerKey = db.prepare(
      `SELECT ${columns} FROM (SELECT *, row_number() OVER (PARTITION BY key ORDER BY offset DESC) AS newer FROM record WHERE topic_id = ? AND partition = ?) WHERE newer = 1 ORDER BY offset`,
    )
    this.appendAll = db.transaction((records: readonly OutgoingRecord[], timestamp: number, alsoInTransaction?: () => void) => {
      const ends = this.insert(records, timestamp)
      alsoInTransaction?.()
      return ends
    })
  }

  topic(name: string): TopicInfo | undefined {
    return this.topics.get(name)
  }

  requireTopic(name: string): TopicInfo {
    const topic = this.topics.get(name)
    if (!topic) throw new PlatformError('BUS_TOPIC_UNKNOWN', `topic "${name}" does not exist on the embedded bus; create it with ensureTopics`, { topic: name })
    return topic
  }

  allTopics(): TopicInfo[] {
    return [...this.topics.values()]
  }

  partitionsOf(topic: TopicInfo): TopicPartition[] {
    return Array.from({ length: topic.partitions }, (_, p) => topicPartition(topic, p))
  }

  /** Creates the topics not in the file yet, in one transaction; existing ones stay as they are. */
  createTopics(specs: readonly TopicSpec[], maxPartitions: number): void {
    const missing = specs.filter((s) => !this.topics.has(s.topic))
    if (missing.length === 0) return
    const created: TopicInfo[] = []
    this.db.transaction(() => {
      const insertTopic = this.db.prepare<[string, number, number]>('INSERT INTO topic (name, partitions, compacted) VALUES (?, ?, ?)')
      const insertEnd = this.db.prepare<[number, number]>('INSERT INTO partition_end (topic_id, partition, next_offset) VALUES (?, ?, 0)')
      for (const spec of missing) {
        if (created.some((t) => t.name === spec.topic)) continue
        const partitions = Math.min(spec.partitions, maxPartitions)
        if (!Number.isInteger(partitions) || partitions < 1) {
          throw new PlatformError('CONFIG_INVALID', `topic "${spec.topic}" needs a positive whole number of partitions, not ${spec.partitions}`, { topic: spec.topic })
        }
        const id = Number(insertTopic.run(spec.topic, partitions, spec.compacted ? 1 : 0).lastInsertRowid)
        for (let p = 0; p < partitions; p++) insertEnd.run(id, p)
        created.push({ id, name: spec.topic, partitions, compacted: spec.compacted === true })
      }
    })()
    for (const topic of created) {
      this.topics.set(topic.name, topic)
      for (let p = 0; p < topic.partitions; p++) this.ends.set(`${topic.id}:${p}`, 0)
    }
  }

  /**
   * Appends records in one transaction; they are durable (and visible) once this returns.
   * `alsoInTransaction` writes more in the same transaction (a consumer's offset commit).
   */
  append(records: readonly OutgoingRecord[], alsoInTransaction?: () => void): void {
    const ends = this.appendAll(records, Date.now(), alsoInTransaction)
    for (const [id, end] of ends) this.ends.set(id, end)
  }

  /** The next offset of a partition: one past its newest record. */
  end(tp: TopicPartition): number {
    return this.ends.get(tp.id) ?? 0
  }

  /** The oldest offset still in the file, or the end when retention left none. */
  low(tp: TopicPartition): number {
    return this.selectLow.get(tp.topic.id, tp.partition)?.low ?? this.end(tp)
  }

  /** Up to `maxRecords` records from `offset` on, stopping early once `maxBytes` of values are in. */
  fetch(tp: TopicPartition, offset: number, maxRecords: number, maxBytes: number): IncomingRecord[] {
    const records: IncomingRecord[] = []
    let bytes = 0
    for (const row of this.selectFrom.iterate(tp.topic.id, tp.partition, offset, maxRecords)) {
      records.push(toIncoming(tp.topic.name, row))
      bytes += row.value.length
      if (bytes >= maxBytes) break
    }
    return records
  }

  /** Every record of a topic (or of some of its partitions) in partition and offset order; on a compacted topic the newest per key. */
  readAll(topic: TopicInfo, partitions?: readonly number[]): IncomingRecord[] {
    if (partitions === undefined) {
      const statement = topic.compacted ? this.selectNewestPerKey : this.selectTopic
      return statement.all(topic.id).map((row) => toIncoming(topic.name, row))
    }
    const statement = topic.compacted ? this.selectPartitionNewestPerKey : this.selectPartition
    return [...new Set(partitions)].sort((a, b) => a - b).flatMap((p) => statement.all(topic.id, p).map((row) => toIncoming(topic.name, row)))
  }

  private insert(records: readonly OutgoingRecord[], timestamp: number): Map<string, number> {
    const ends = new Map<string, number>()
    const touched = new Map<string, TopicPartition>()
    for (const record of records) {
      const topic = this.requireTopic(record.topic)
      const tp = topicPartition(topic, partitionForKey(record.key, topic.partitions))
      const offset = ends.get(tp.id) ?? this.end(tp)
      this.insertRecord.run(topic.id, tp.partition, offset, timestamp, record.key, record.tombstone ? Buffer.alloc(0) : record.value, encodeHeaders(record.headers), record.tombstone ? 1 : 0)
      ends.set(tp.id, offset + 1)
      touched.set(tp.id, tp)
    }
    for (const [id, tp] of touched) this.updateEnd.run(ends.get(id)!, tp.topic.id, tp.partition)
    return ends
  }
}

function encodeHeaders(headers: Headers): string | null {
  for (const _ in headers) return JSON.stringify(headers)
  return null
}

function toIncoming(topic: string, row: RecordRow): IncomingRecord {
  return {
    topic,
    partition: row.partition,
    offset: String(row.offset),
    key: row.key,
    value: row.value,
    headers: row.headers === null ? {} : (JSON.parse(row.headers) as Headers),
    timestamp: row.timestamp,
    ...(row.tombstone === 1 ? { tombstone: true } : {}),
  }
}
