import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStoreDatabase, type SqliteDatabase } from '../../../../core/store/embedded/database.js'

/** Store database files in one temporary directory, closed and removed by `cleanup`. */
export function storeFiles(): { open(name?: string, busyTimeoutMs?: number): SqliteDatabase; path(name: string): string; cleanup(): void } {
  let dir = mkdtempSync(join(tmpdir(), 'circular-store-file-'))
  const opened: SqliteDatabase[] = []
  let count = 0
  return {
    open(name = `store-${++count}.sqlite`, busyTimeoutMs = 0) {
      const db = openStoreDatabase(join(dir, name), 'normal', busyTimeoutMs)
      opened.push(db)
      return db
    },
    path: (name) => join(dir, name),
    cleanup() {
      for (const db of opened.splice(0)) if (db.open) db.close()
      rmSync(dir, { recursive: true, force: true })
      dir = mkdtempSync(join(tmpdir(), 'circular-store-file-'))
    },
  }
}
