import Database from 'better-sqlite3'
import { PlatformError } from '../../../models/errors.js'
import { ensurePrivateFile } from '../../private-file.js'

export type SqliteDatabase = Database.Database

/**
 * How hard a commit waits for the disk (SQLite `PRAGMA synchronous` in WAL mode).
 * - `full` syncs the WAL on every commit: a batch the store acknowledged survives a power cut or
 *   an OS crash, which the pipeline needs because the bus commits its offsets on that
 *   acknowledgement and would never deliver the batch again.
 * - `normal` syncs only at checkpoints: still safe when the process is killed, but a power cut may
 *   undo the last commits.
 */
export type SyncLevel = 'full' | 'normal'

/** Bumped when the tables change; a file from a newer version is refused rather than misread. */
const schemaVersion = 1

/**
 * The store keeps one row per field value, keyed the way the queries read it: one series, one
 * field, a time range. Tags live beside the series so tag filters find series through an index
 * and never touch the values. STRICT with `ANY` keeps every value exactly as bound (no affinity
 * turning the text '1.50' into the number 1.5).
 */
const schema = `
CREATE TABLE field (
  id INTEGER PRIMARY KEY,
  measurement TEXT NOT NULL,
  name TEXT NOT NULL,
  type TEXT NOT NULL CHECK (type IN ('float', 'string', 'boolean')),
  UNIQUE (measurement, name)
) STRICT;

CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  measurement TEXT NOT NULL,
  tag_set TEXT NOT NULL,
  UNIQUE (measurement, tag_set)
) STRICT;

CREATE TABLE series_tag (
  series_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (series_id, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX series_tag_by_value ON series_tag (key, value);

CREATE TABLE value (
  series_id INTEGER NOT NULL,
  field_id INTEGER NOT NULL,
  time INTEGER NOT NULL,
  value ANY NOT NULL,
  PRIMARY KEY (series_id, field_id, time)
) STRICT, WITHOUT ROWID;
`

/** Opens (creating if needed) the store's database file in WAL mode with its tables. */
export function openStoreDatabase(path: string, sync: SyncLevel, busyTimeoutMs: number): SqliteDatabase {
  if (path !== ':memory:') ensurePrivateFile(path)
  const db = new Database(path)
  try {
    // Waits for another connection's write lock instead of failing at once with SQLITE_BUSY.
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(busyTimeoutMs))}`)
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`)
    // Each write appends to the newest page of every series and field it touches; a cache that
    // holds those pages for a city's devices keeps writes from rereading them (default is 2 MiB).
    db.pragma(`cache_size = -${64 * 1024}`)
    migrate(db)
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

function migrate(db: SqliteDatabase): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number
    if (version === schemaVersion) return
    if (version > schemaVersion) {
      throw new PlatformError('STORE_REQUEST_REFUSED', `the store file has schema version ${version}, newer than this code's ${schemaVersion}`, { version })
    }
    db.exec(schema)
    db.pragma(`user_version = ${schemaVersion}`)
  }).immediate()
}
