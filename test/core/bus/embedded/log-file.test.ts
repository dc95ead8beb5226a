import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, test } from 'vitest'
import { closeLogFile, openLogFile, storageFailure } from '../../../../core/bus/embedded/log-file.js'
import { PlatformError } from '../../../../models/errors.js'
import { refusal } from '../../../support/refusal.js'

const dir = mkdtempSync(join(tmpdir(), 'circular-log-file-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const freshPath = (): string => join(dir, `nested-${++files}`, 'bus.sqlite')

describe('openLogFile', () => {
  test('should create the directory and the tables, hold the file exclusively in WAL mode, and note its owner beside it', () => {
    const path = freshPath()
    const { db, previousOwner } = openLogFile(path, 'normal')
    expect(previousOwner).toBeUndefined()
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('locking_mode', { simple: true })).toBe('exclusive')
    // SQLite: 1 = NORMAL, 2 = FULL.
    expect(db.pragma('synchronous', { simple: true })).toBe(1)
    expect(db.pragma('user_version', { simple: true })).toBe(2)
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name)
    expect(tables).toEqual(['group_offset', 'partition_end', 'record', 'topic'])
    const owner = JSON.parse(readFileSync(`${path}.owner`, 'utf8')) as { pid: number; host: string; since: string }
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() })
    expect(Date.parse(owner.since)).toBeLessThanOrEqual(Date.now())
    closeLogFile(path, db)
    expect(existsSync(`${path}.owner`)).toBe(false)
  })

  test('sync full should sync on every commit', () => {
    const path = freshPath()
    const { db } = openLogFile(path, 'full')
    expect(db.pragma('synchronous', { simple: true })).toBe(2)
    closeLogFile(path, db)
  })

  test('after a clean close there should be no previous owner; after a crash the owner of the crashed process', () => {
    const path = freshPath()
    const first = openLogFile(path, 'normal')
    closeLogFile(path, first.db)
    const second = openLogFile(path, 'normal')
    expect(second.previousOwner).toBeUndefined()
    // A process that dies closes its connection but never removes its note.
    second.db.close()
    const third = openLogFile(path, 'normal')
    expect(third.previousOwner).toMatchObject({ pid: process.pid, host: hostname() })
    closeLogFile(path, third.db)
  })

  test('a file held by another connection should be refused with BUS_LOCKED, naming the holder when it is known', () => {
    const path = freshPath()
    const holder = openLogFile(path, 'normal')
    const locked = refusal(() => openLogFile(path, 'normal'))
    expect(locked.code).toBe('BUS_LOCKED')
    expect(locked.message).toMatch(new RegExp(`^the embedded bus file ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by process ${process.pid} on ${hostname()} \\(since .+\\); one file serves one process$`))
    rmSync(`${path}.owner`)
    expect(refusal(() => openLogFile(path, 'normal')).message).toContain('is in use by another process;')
    holder.db.close()
  })

  test('a file of a newer schema should be refused rather than misread', () => {
    const path = freshPath()
    const { db } = openLogFile(path, 'normal')
    db.pragma('user_version = 3')
    closeLogFile(path, db)
    const newer = refusal(() => openLogFile(path, 'normal'))
    expect(newer.code).toBe('CONFIG_INVALID')
    expect(newer.message).toBe("the bus file has schema version 3, newer than this code's 2")
  })

  test('a file of schema 1 (before tombstones) should be brought to 2 with its records kept', () => {
    const path = freshPath()
    const { db } = openLogFile(path, 'normal')
    // What a version 1 file is: the same tables without the tombstone column.
    db.exec('ALTER TABLE record DROP COLUMN tombstone')
    db.prepare("INSERT INTO record (topic_id, partition, offset, timestamp, key, value, headers) VALUES (1, 0, 0, 1, 'k', x'01', NULL)").run()
    db.pragma('user_version = 1')
    closeLogFile(path, db)
    const reopened = openLogFile(path, 'normal')
    expect(reopened.db.pragma('user_version', { simple: true })).toBe(2)
    expect(reopened.db.prepare('SELECT key, tombstone FROM record').all()).toEqual([{ key: 'k', tombstone: 0 }])
    closeLogFile(path, reopened.db)
  })

  test('a file that is not a database should be refused as BUS_STORAGE_FAILED with the SQLite code', () => {
    const path = freshPath()
    openLogFile(path, 'normal').db.close()
    writeFileSync(path, 'this is not a SQLite database, just text long enough to fill a header page'.repeat(20))
    const broken = refusal(() => openLogFile(path, 'normal'))
    expect(broken.code).toBe('BUS_STORAGE_FAILED')
    expect(broken.message).toMatch(new RegExp(`^the embedded bus could not open .*bus\\.sqlite: `))
    expect(broken.details).toMatchObject({ sqliteCode: 'SQLITE_NOTADB' })
  })
})

describe('storageFailure', () => {
  test('should pass a platform error through and turn anything else into BUS_STORAGE_FAILED with its cause', () => {
    const platform = new PlatformError('BUS_TOPIC_UNKNOWN', 'no such topic')
    expect(storageFailure(platform, 'append')).toBe(platform)
    const sqlite = new Database.SqliteError('database or disk is full', 'SQLITE_FULL')
    const fromSqlite = storageFailure(sqlite, 'append 3 record(s)')
    expect(fromSqlite).toMatchObject({ code: 'BUS_STORAGE_FAILED', message: 'the embedded bus could not append 3 record(s): database or disk is full', details: { sqliteCode: 'SQLITE_FULL' } })
    expect(fromSqlite.cause).toBe(sqlite)
    expect(storageFailure(new Error('boom'), 'read records')).toMatchObject({ message: 'the embedded bus could not read records: boom', details: { sqliteCode: undefined } })
    expect(storageFailure('odd', 'commit offsets').message).toBe('the embedded bus could not commit offsets: odd')
  })
})
