import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { ensurePrivateFile } from '../../core/private-file.js'
import { EmbeddedBus } from '../../core/bus/embedded-bus.js'
import { openStoreDatabase } from '../../core/store/embedded/database.js'
import { testLogger } from '../support/pipeline.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
const dir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'circular-private-'))
  dirs.push(d)
  return d
}
const mode = (path: string): number => statSync(path).mode & 0o777

describe('ensurePrivateFile', () => {
  test('should create a missing file 0600 in a new directory, and make an existing one 0600 keeping its content', () => {
    const d = dir()
    ensurePrivateFile(join(d, 'deeper', 'new.sqlite'))
    expect(mode(join(d, 'deeper', 'new.sqlite'))).toBe(0o600)
    writeFileSync(join(d, 'old.sqlite'), 'kept')
    chmodSync(join(d, 'old.sqlite'), 0o644)
    ensurePrivateFile(join(d, 'old.sqlite'))
    expect(mode(join(d, 'old.sqlite'))).toBe(0o600)
    expect(statSync(join(d, 'old.sqlite')).size).toBe(4)
  })

  test('the embedded bus and store files, and the journals SQLite makes beside them, should be 0600', async () => {
    const d = dir()
    const bus = new EmbeddedBus({ path: join(d, 'bus.sqlite') }, testLogger)
    await bus.ensureTopics([{ topic: 't', partitions: 1 }])
    await bus.publish([{ topic: 't', key: 'k', value: Buffer.from('v'), headers: {} }])
    const store = openStoreDatabase(join(d, 'store.sqlite'), 'normal', 1000)
    try {
      for (const file of ['bus.sqlite', 'bus.sqlite-wal', 'store.sqlite', 'store.sqlite-wal']) expect(mode(join(d, file)), file).toBe(0o600)
    } finally {
      store.close()
      await bus.close()
    }
  })
})
