import Database from 'better-sqlite3'
import { afterEach, describe, expect, test } from 'vitest'
import { storeFailure } from '../../../../core/store/embedded/sqlite-errors.js'
import { PlatformError } from '../../../../models/errors.js'
import { storeFiles } from './store-file.js'

const files = storeFiles()
afterEach(() => files.cleanup())

const sqlite = (code: string, message = 'something happened'): InstanceType<typeof Database.SqliteError> => new Database.SqliteError(message, code)

describe('storeFailure', () => {
  test('a moment\'s condition (lock, full or failing disk) should be the retryable STORE_UNAVAILABLE, with the SQLite code', () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED', 'SQLITE_IOERR_WRITE', 'SQLITE_FULL', 'SQLITE_CANTOPEN', 'SQLITE_PROTOCOL']) {
      const failure = storeFailure(sqlite(code, 'database is locked'), 'write')
      expect(failure, code).toMatchObject({ code: 'STORE_UNAVAILABLE', canRetry: true, message: 'the embedded store could not write: database is locked', details: { sqliteCode: code } })
    }
  })

  test('anything else should be refused for good: as a failed query when querying, else as a refused request', () => {
    const corrupt = sqlite('SQLITE_CORRUPT', 'database disk image is malformed')
    expect(storeFailure(corrupt, 'query')).toMatchObject({ code: 'STORE_QUERY_FAILED', canRetry: false, message: 'the embedded store could not query: database disk image is malformed' })
    expect(storeFailure(corrupt, 'write')).toMatchObject({ code: 'STORE_REQUEST_REFUSED', canRetry: false })
    expect(storeFailure(sqlite('SQLITE_READONLY'), 'open')).toMatchObject({ code: 'STORE_REQUEST_REFUSED' })
    const plain = storeFailure(new TypeError('bad bind'), 'write')
    expect(plain).toMatchObject({ code: 'STORE_REQUEST_REFUSED', message: 'the embedded store could not write: bad bind', details: { sqliteCode: undefined } })
    expect(storeFailure('odd', 'query').message).toBe('the embedded store could not query: odd')
    expect(plain.cause).toBeInstanceOf(TypeError)
  })

  test('a platform error should pass through unchanged', () => {
    const platform = new PlatformError('SHUTTING_DOWN', 'the store is closed')
    expect(storeFailure(platform, 'write')).toBe(platform)
  })

  test('a write lock held by another connection should come out as STORE_UNAVAILABLE', () => {
    const holder = files.open('shared.sqlite')
    const writer = files.open('shared.sqlite', 0)
    holder.exec('BEGIN IMMEDIATE')
    let failure: PlatformError | undefined
    try {
      writer.prepare("INSERT INTO field (measurement, name, type) VALUES ('m', 'f', 'float')").run()
    } catch (error) {
      failure = storeFailure(error, 'write')
    }
    holder.exec('ROLLBACK')
    expect(failure).toMatchObject({ code: 'STORE_UNAVAILABLE', details: { sqliteCode: 'SQLITE_BUSY' } })
  })
})
