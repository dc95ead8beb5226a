import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SqliteStore, type SqliteStoreOptions } from '../../../core/store/sqlite-store.js'
import type { Point } from '../../../core/store/store.js'
import { silentLogger } from './test-database.js'

// Behaviours of the embedded store beyond the shared contract (store-contract.ts).

const t0 = Date.UTC(2026, 2, 1)
const everything = { from: t0 - 1000, to: t0 + 1000, fields: [] as string[], limit: 100 }
let dir: string
const stores: SqliteStore[] = []

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'circular-sqlite-store-'))
})

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()))
  rmSync(dir, { recursive: true, force: true })
})

function storeAt(path: string, options: Partial<SqliteStoreOptions> = {}): SqliteStore {
  const store = new SqliteStore({ path, ...options }, silentLogger)
  stores.push(store)
  return store
}

function level(value: number | string, time = t0): Point {
  return { measurement: 'waste_container', tags: { device: 'bin-1' }, fields: { level: value }, time }
}

describe('SqliteStore', () => {
  it('ensureReady should create the file and its directory, in WAL mode', async () => {
    const path = join(dir, 'nested', 'deeper', 'store.db')
    await storeAt(path).ensureReady()
    const raw = new Database(path, { readonly: true })
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
    } finally {
      raw.close()
    }
  })

  it('write should see field types another connection stored after this one cached its own', async () => {
    const path = join(dir, 'store.db')
    const first = storeAt(path)
    const second = storeAt(path)
    await second.write([{ measurement: 'waste_container', tags: { device: 'bin-1' }, fields: { other: 1 }, time: t0 }])
    await first.write([level(0.5)])
    const outcome = await second.write([level('full', t0 + 1)])
    expect(outcome.rejected.map((r) => r.reason)).toEqual(['field type conflict: input field "level" on measurement "waste_container" is type string, already exists as type float'])
    expect((await second.readings({ measurements: ['waste_container'], tags: {}, ...everything, fields: ['level'] })).map((v) => v.value)).toEqual([0.5])
  })

  it('write should fail retryably as STORE_UNAVAILABLE while another connection holds the write lock, then succeed', async () => {
    const path = join(dir, 'store.db')
    const store = storeAt(path, { busyTimeoutMs: 20 })
    await store.ensureReady()
    const holder = new Database(path)
    try {
      holder.prepare('BEGIN IMMEDIATE').run()
      await expect(store.write([level(0.5)])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', canRetry: true, details: { sqliteCode: 'SQLITE_BUSY' } })
      holder.prepare('ROLLBACK').run()
    } finally {
      holder.close()
    }
    expect(await store.write([level(0.5)])).toEqual({ written: 1, rejected: [] })
    expect(await store.readings({ measurements: ['waste_container'], tags: {}, ...everything })).toHaveLength(1)
  })

  it('ensureReady should refuse a file written by a newer schema rather than misread it', async () => {
    const path = join(dir, 'store.db')
    const raw = new Database(path)
    raw.pragma('user_version = 99')
    raw.close()
    await expect(storeAt(path).ensureReady()).rejects.toMatchObject({ code: 'STORE_REQUEST_REFUSED', canRetry: false })
  })

  it('ensureReady should refuse a file that is not a database, without retrying', async () => {
    const path = join(dir, 'store.db')
    writeFileSync(path, 'this is not an SQLite file, just text that is long enough to be read as a header '.repeat(10))
    await expect(storeAt(path).ensureReady()).rejects.toMatchObject({ code: 'STORE_REQUEST_REFUSED', canRetry: false, details: { sqliteCode: 'SQLITE_NOTADB' } })
  })

  it('should store names and values with line breaks exactly, which the InfluxDB store refuses or rewrites', async () => {
    const store = storeAt(join(dir, 'store.db'))
    const point: Point = { measurement: 'm\nx', tags: { 'k\ney': 'v\r\nw', trailing: 'slash\\' }, fields: { 'f\n': 'line one\nline two' }, time: t0 }
    expect(await store.write([point])).toEqual({ written: 1, rejected: [] })
    expect(await store.points({ measurement: 'm\nx', tags: { 'k\ney': 'v\r\nw' }, ...everything })).toEqual([point])
  })

  it('should take a batch of many series and fields in one transaction', async () => {
    const store = storeAt(join(dir, 'store.db'))
    const points: Point[] = Array.from({ length: 12_000 }, (_, i) => ({ measurement: 'energy_ac', tags: { device: `meter-${i % 300}` }, fields: { [`f${i % 7}`]: i, text: `t${i}` }, time: t0 + Math.floor(i / 300) }))
    expect(await store.write(points)).toEqual({ written: 12_000, rejected: [] })
    const back = await store.points({ measurement: 'energy_ac', tags: {}, from: t0, to: t0 + 1000, limit: 1000 })
    expect(back).toHaveLength(12_000)
    expect(back.find((p) => p.tags.device === 'meter-299' && p.time === t0 + 39)?.fields).toEqual({ [`f${11_999 % 7}`]: 11_999, text: 't11999' })
  })
})
