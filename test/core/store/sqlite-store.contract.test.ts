import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteStore } from '../../../core/store/sqlite-store.js'
import type { Store } from '../../../core/store/store.js'
import { silentLogger } from './test-database.js'
import { storeContract } from './store-contract.js'

storeContract('SqliteStore on a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'circular-sqlite-store-'))
  const paths = new Map<Store, string>()
  let opened = 0

  const connect = async (path: string) => {
    const store = new SqliteStore({ path }, silentLogger)
    paths.set(store, path)
    await store.ensureReady()
    return store
  }

  return {
    open: () => connect(join(dir, `store-${++opened}.db`)),
    reopen: async (store) => {
      await store.close()
      return connect(paths.get(store) as string)
    },
    release: async () => rmSync(dir, { recursive: true, force: true }),
  }
})
