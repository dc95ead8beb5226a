import { setImmediate as nextTurn } from 'node:timers/promises'
import type { Statement } from 'better-sqlite3'
import type { GroupOffsets } from './group-offsets.js'
import type { SqliteDatabase } from './log-file.js'
import type { RecordLog, TopicPartition } from './record-log.js'

/** Rows deleted per statement, so that the event loop is never held for long. */
const chunkOffsets = 5000

/**
 * Keeps the bus file from growing without bound, without taking a record from a consumer group
 * that has not read it:
 * - retention (plain topics): deletes records older than the retention that every live group has
 *   committed past;
 * - compaction (compacted topics): deletes records superseded by a newer record of the same key,
 *   again only below every live group's committed offset, and tombstones older than the retention
 *   once nothing of their key is left before them.
 * A group counts as live while it consumes in this process or committed within the retention;
 * Kafka likewise forgets a group's offsets after `offsets.retention.minutes` (7 days).
 */
export class LogMaintenance {
  private readonly deleteOld: Statement<[number, number, number, number, number]>
  private readonly deleteSuperseded: Statement<[number, number, number]>
  private readonly deleteTombstones: Statement<[number, number, number, number]>

  constructor(
    private readonly log: RecordLog,
    private readonly offsets: GroupOffsets,
    db: SqliteDatabase,
    private readonly retentionMs: number,
  ) {
    this.deleteOld = db.prepare('DELETE FROM record WHERE topic_id = ? AND partition = ? AND offset >= ? AND offset < ? AND timestamp < ?')
    this.deleteSuperseded = db.prepare(
      `DELETE FROM record WHERE id IN (
         SELECT id FROM (
           SELECT id, offset, row_number() OVER (PARTITION BY key ORDER BY offset DESC) AS newer
           FROM record WHERE topic_id = ? AND partition = ?
         ) WHERE newer > 1 AND offset < ?
       )`,
    )
    // Once alone (compaction took what it deleted) and read by every group, a tombstone itself goes after the retention, as Kafka's delete.retention.ms lets it.
    this.deleteTombstones = db.prepare('DELETE FROM record WHERE topic_id = ? AND partition = ? AND tombstone = 1 AND offset < ? AND timestamp < ?')
  }

  /**
   * One pass over every partition; returns how many records were deleted. `activeGroups` are
   * marked live first; `isClosing` is asked between chunks so that close does not wait long.
   */
  async run(activeGroups: Iterable<string>, isClosing: () => boolean): Promise<number> {
    for (const groupId of activeGroups) this.offsets.touch(groupId)
    const now = Date.now()
    let deleted = 0
    for (const topic of this.log.allTopics()) {
      for (const tp of this.log.partitionsOf(topic)) {
        if (isClosing()) return deleted
        const bound = this.offsets.lowestCommitted(tp, now - this.retentionMs) ?? this.log.end(tp)
        if (topic.compacted) {
          deleted += this.deleteSuperseded.run(topic.id, tp.partition, bound).changes
          deleted += this.deleteTombstones.run(topic.id, tp.partition, bound, now - this.retentionMs).changes
        } else deleted += await this.expire(tp, bound, now - this.retentionMs, isClosing)
        await nextTurn()
      }
    }
    return deleted
  }

  /** Deletes records older than `cutoff` below `bound`, oldest first, a chunk at a time. */
  private async expire(tp: TopicPartition, bound: number, cutoff: number, isClosing: () => boolean): Promise<number> {
    let deleted = 0
    let from = this.log.low(tp)
    while (from < bound && !isClosing()) {
      const to = Math.min(bound, from + chunkOffsets)
      const changes = this.deleteOld.run(tp.topic.id, tp.partition, from, to, cutoff).changes
      deleted += changes
      // A record in the chunk was too young to go: so are the ones after it (timestamps grow with offsets).
      if (changes < to - from) break
      from = to
      await nextTurn()
    }
    return deleted
  }
}
