import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import Database, { SqliteError } from 'better-sqlite3'
import { PlatformError } from '../../../models/errors.js'
import { ensurePrivateFile } from '../../private-file.js'

export type SqliteDatabase = Database.Database

/**
 * How hard a commit waits for the disk (SQLite `PRAGMA synchronous` in WAL mode).
 * - `normal` (the default) writes every commit to the WAL before `publish` resolves but syncs it
 *   only at checkpoints: a killed or crashed process loses nothing acknowledged; a power cut or an
 *   OS crash may undo the last commits. That is the guarantee of a single Kafka broker too, which
 *   leaves flushing to the OS page cache, and it spares one fsync per commit.
 * - `full` syncs the WAL on every commit, for machines where power cuts are the concern.
 */
export type SyncLevel = 'normal' | 'full'

/** Bumped when the tables change; a file from a newer version is refused rather than misread. */
const schemaVersion = 2

/**
 * One row per record, found by (topic, partition, offset). `partition_end` holds each
 * partition's next offset, so offsets keep growing after retention or compaction deleted the
 * newest rows. `group_offset` holds each group's next offset to read, Kafka's convention.
 */
const schema = `
CREATE TABLE topic (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  partitions INTEGER NOT NULL CHECK (partitions > 0),
  compacted INTEGER NOT NULL
) STRICT;

CREATE TABLE partition_end (
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  PRIMARY KEY (topic_id, partition)
) STRICT, WITHOUT ROWID;

CREATE TABLE record (
  id INTEGER PRIMARY KEY,
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  offset INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  key TEXT NOT NULL,
  value BLOB NOT NULL,
  headers TEXT
) STRICT;

CREATE UNIQUE INDEX record_by_offset ON record (topic_id, partition, offset);

CREATE TABLE group_offset (
  group_id TEXT NOT NULL,
  topic_id INTEGER NOT NULL,
  partition INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic_id, partition)
) STRICT, WITHOUT ROWID;
`

/** Who holds the file, written beside it so that a refused second process can name the holder. */
interface Owner {
  readonly pid: number
  readonly host: string
  readonly since: string
}

/**
 * Opens the bus file for this process alone. SQLite's exclusive locking mode holds the file's
 * lock from the first statement until the connection closes; the OS drops it when the process
 * dies, so the lock of a killed process is never stale and a restart takes the file over.
 */
export function openLogFile(path: string, sync: SyncLevel): { db: SqliteDatabase; previousOwner: Owner | undefined } {
  ensurePrivateFile(path)
  // No busy timeout: a file held by another process is an error to report, not to wait for.
  const db = new Database(path, { timeout: 0 })
  try {
    db.pragma('locking_mode = EXCLUSIVE')
    // Entering WAL in exclusive mode keeps the WAL index in memory: no -shm file to go stale.
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`)
    // Takes the lock now, not at the first publish.
    db.exec('BEGIN EXCLUSIVE; COMMIT')
    migrate(db)
  } catch (error) {
    db.close()
    if (error instanceof SqliteError && /^SQLITE_(BUSY|LOCKED)/.test(error.code)) {
      const owner = readOwner(path)
      const holder = owner ? `process ${owner.pid} on ${owner.host} (since ${owner.since})` : 'another process'
      throw new PlatformError('BUS_LOCKED', `the embedded bus file ${path} is in use by ${holder}; one file serves one process`, { path, owner }, { cause: error })
    }
    throw storageFailure(error, `open ${path}`)
  }
  const previousOwner = readOwner(path)
  writeFileSync(ownerPath(path), JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies Owner) + '\n', { mode: 0o600 })
  return { db, previousOwner }
}

/** Closes the file and removes the owner note, so the next start can tell a clean stop from a crash. */
export function closeLogFile(path: string, db: SqliteDatabase): void {
  db.close()
  rmSync(ownerPath(path), { force: true })
}

/** The platform's view of a SQLite failure; a `PlatformError` passes through unchanged. */
export function storageFailure(error: unknown, action: string): PlatformError {
  if (error instanceof PlatformError) return error
  const reason = error instanceof Error ? error.message : String(error)
  const sqliteCode = error instanceof SqliteError ? error.code : undefined
  return new PlatformError('BUS_STORAGE_FAILED', `the embedded bus could not ${action}: ${reason}`, { sqliteCode }, { cause: error })
}

function migrate(db: SqliteDatabase): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number
    if (version === schemaVersion) return
    if (version > schemaVersion) {
      throw new PlatformError('CONFIG_INVALID', `the bus file has schema version ${version}, newer than this code's ${schemaVersion}`, { version })
    }
    if (version === 0) db.exec(schema)
    // Version 2: tombstones (deletions of a key).
    if (version < 2) db.exec('ALTER TABLE record ADD COLUMN tombstone INTEGER NOT NULL DEFAULT 0')
    db.pragma(`user_version = ${schemaVersion}`)
  }).immediate()
}

function ownerPath(path: string): string {
  return `${path}.owner`
}

function readOwner(path: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(ownerPath(path), 'utf8')) as Owner
  } catch {
    return undefined
  }
}
