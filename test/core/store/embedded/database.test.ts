import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { openStoreDatabase, type SqliteDatabase } from '../../../../core/store/embedded/database.js'

const dirs: string[] = []
const opened: SqliteDatabase[] = []
function path(): string {
  const dir = mkdtempSync(join(tmpdir(), 'circular-store-db-'))
  dirs.push(dir)
  return join(dir, 'nested', 'store.sqlite')
}
function open(file: string, sync: 'full' | 'normal' = 'full', busyTimeoutMs = 5000): SqliteDatabase {
  const db = openStoreDatabase(file, sync, busyTimeoutMs)
  opened.push(db)
  return db
}
afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('openStoreDatabase', () => {
  test('should create the directory and the tables in WAL mode with the sync level and busy timeout asked for', () => {
    const file = path()
    const db = open(file, 'full', 2500)
    expect(existsSync(file)).toBe(true)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    // SQLite: 1 = NORMAL, 2 = FULL.
    expect(db.pragma('synchronous', { simple: true })).toBe(2)
    expect(db.pragma('busy_timeout', { simple: true })).toBe(2500)
    expect(db.pragma('user_version', { simple: true })).toBe(1)
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all().map((r) => r.name)
    expect(tables).toEqual(['field', 'series', 'series_tag', 'value'])
    expect(open(path(), 'normal').pragma('synchronous', { simple: true })).toBe(1)
  })

  test('a busy timeout should be a whole number of milliseconds, never negative', () => {
    expect(open(path(), 'full', 1500.9).pragma('busy_timeout', { simple: true })).toBe(1500)
    expect(open(path(), 'full', -20).pragma('busy_timeout', { simple: true })).toBe(0)
  })

  test('an in-memory database should need no directory', () => {
    const db = open(':memory:')
    expect(db.pragma('user_version', { simple: true })).toBe(1)
  })

  test('reopening a file should keep its contents and not create the tables again', () => {
    const file = path()
    const first = open(file)
    first.prepare("INSERT INTO field (measurement, name, type) VALUES ('waste_container', 'filling_level', 'float')").run()
    first.close()
    const again = open(file)
    expect(again.prepare('SELECT measurement, name, type FROM field').all()).toEqual([{ measurement: 'waste_container', name: 'filling_level', type: 'float' }])
  })

  test('a value should be kept exactly as bound: text that looks like a number stays text', () => {
    const db = open(path())
    const insert = db.prepare('INSERT INTO value (series_id, field_id, time, value) VALUES (1, 1, ?, ?)')
    insert.run(1, '1.50')
    insert.run(2, 1.5)
    expect(db.prepare('SELECT value FROM value ORDER BY time').pluck().all()).toEqual(['1.50', 1.5])
    expect(() => db.prepare("INSERT INTO field (measurement, name, type) VALUES ('m', 'f', 'integer')").run()).toThrow(/CHECK constraint/)
  })

  test('a file of a newer schema should be refused as STORE_REQUEST_REFUSED', () => {
    const file = path()
    const db = open(file)
    db.pragma('user_version = 2')
    db.close()
    expect(() => open(file)).toThrow(expect.objectContaining({ code: 'STORE_REQUEST_REFUSED', message: "the store file has schema version 2, newer than this code's 1" }))
  })
})
