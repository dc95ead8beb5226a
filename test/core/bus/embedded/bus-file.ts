import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TopicSpec } from '../../../../core/bus/bus.js'
import { GroupOffsets } from '../../../../core/bus/embedded/group-offsets.js'
import { closeLogFile, openLogFile, type SqliteDatabase } from '../../../../core/bus/embedded/log-file.js'
import { RecordLog } from '../../../../core/bus/embedded/record-log.js'
import { partitionForKey } from '../../../../core/bus/embedded/partitioner.js'

/** One bus file in a temporary directory, opened with the parts the embedded bus is made of. */
export interface BusFile {
  readonly path: string
  readonly db: SqliteDatabase
  readonly log: RecordLog
  readonly offsets: GroupOffsets
  close(): void
}

export function busFiles(): { open(topics?: readonly TopicSpec[], name?: string): BusFile; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'circular-bus-file-'))
  const open: BusFile[] = []
  let count = 0
  return {
    open(topics = [], name = `bus-${++count}.sqlite`) {
      const path = join(dir, name)
      const { db } = openLogFile(path, 'normal')
      const log = new RecordLog(db)
      log.createTopics(topics, Number.MAX_SAFE_INTEGER)
      const file: BusFile = { path, db, log, offsets: new GroupOffsets(db), close: () => closeLogFile(path, db) }
      open.push(file)
      return file
    },
    cleanup() {
      for (const file of open.splice(0)) if (file.db.open) file.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A key that the partitioner puts in the given partition, so a test can fill partitions on purpose. */
export function keyFor(partition: number, partitions: number, prefix = 'key'): string {
  for (let i = 0; ; i++) if (partitionForKey(`${prefix}-${i}`, partitions) === partition) return `${prefix}-${i}`
}
