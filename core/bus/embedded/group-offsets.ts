import type { Statement } from 'better-sqlite3'
import type { SqliteDatabase } from './log-file.js'
import type { TopicPartition } from './record-log.js'

/**
 * Consumer groups' committed offsets in the bus file: per (group, topic, partition) the next
 * offset to read, Kafka's convention. `updated_at` lets retention ignore groups that are gone.
 */
export class GroupOffsets {
  private readonly selectOne: Statement<[string, number, number], { next_offset: number }>
  private readonly upsert: Statement<[string, number, number, number, number]>
  private readonly insertIfMissing: Statement<[string, number, number, number, number]>
  private readonly touchGroup: Statement<[number, string]>
  private readonly selectLowestLive: Statement<[number, number, number], { lowest: number | null }>

  constructor(db: SqliteDatabase) {
    this.selectOne = db.prepare('SELECT next_offset FROM group_offset WHERE group_id = ? AND topic_id = ? AND partition = ?')
    this.upsert = db.prepare(
      'INSERT INTO group_offset (group_id, topic_id, partition, next_offset, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at',
    )
    this.insertIfMissing = db.prepare('INSERT OR IGNORE INTO group_offset (group_id, topic_id, partition, next_offset, updated_at) VALUES (?, ?, ?, ?, ?)')
    this.touchGroup = db.prepare('UPDATE group_offset SET updated_at = ? WHERE group_id = ?')
    this.selectLowestLive = db.prepare('SELECT min(next_offset) AS lowest FROM group_offset WHERE topic_id = ? AND partition = ? AND updated_at >= ?')
  }

  committed(groupId: string, tp: TopicPartition): number | undefined {
    return this.selectOne.get(groupId, tp.topic.id, tp.partition)?.next_offset
  }

  commit(groupId: string, tp: TopicPartition, nextOffset: number): void {
    this.upsert.run(groupId, tp.topic.id, tp.partition, nextOffset, Date.now())
  }

  /**
   * Records where a group without a commit starts, so that retention keeps what the group has
   * not read yet even before its first commit.
   */
  register(groupId: string, tp: TopicPartition, startOffset: number): void {
    this.insertIfMissing.run(groupId, tp.topic.id, tp.partition, startOffset, Date.now())
  }

  /** Marks a group as alive (it is consuming in this process, possibly idle). */
  touch(groupId: string): void {
    this.touchGroup.run(Date.now(), groupId)
  }

  /** The lowest committed offset of the groups active since `since`, or undefined when there are none. */
  lowestCommitted(tp: TopicPartition, since: number): number | undefined {
    return this.selectLowestLive.get(tp.topic.id, tp.partition, since)?.lowest ?? undefined
  }
}
