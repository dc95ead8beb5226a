import Database from 'better-sqlite3'
import { PlatformError } from '../../../models/errors.js'

/**
 * Result codes that describe the moment rather than the request: another connection holds the
 * lock, the disk is full or failing. Trying again later can succeed.
 */
const transientCodes = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL)/

/**
 * The platform's view of a failure inside the store: transient SQLite conditions become the
 * retryable `STORE_UNAVAILABLE` (the sink waits and writes again); anything else, such as a
 * corrupt or read-only file, is refused for good. A `PlatformError` passes through unchanged.
 */
export function storeFailure(error: unknown, action: 'write' | 'query' | 'open'): PlatformError {
  if (error instanceof PlatformError) return error
  const code = error instanceof Database.SqliteError ? error.code : undefined
  const reason = error instanceof Error ? error.message : String(error)
  if (code !== undefined && transientCodes.test(code)) {
    return new PlatformError('STORE_UNAVAILABLE', `the embedded store could not ${action}: ${reason}`, { sqliteCode: code }, { cause: error })
  }
  const platformCode = action === 'query' ? 'STORE_QUERY_FAILED' : 'STORE_REQUEST_REFUSED'
  return new PlatformError(platformCode, `the embedded store could not ${action}: ${reason}`, { sqliteCode: code }, { cause: error })
}
