import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { z } from 'zod'
import { WatchedJsonFile } from '../../../core/registry/json-file.js'

const schema = z.strictObject({ version: z.literal(1), names: z.array(z.string().min(1)) })
type Doc = z.infer<typeof schema>
const empty = (): Doc => ({ version: 1, names: [] })
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const dirs: string[] = []
function path(): string {
  const dir = mkdtempSync(join(tmpdir(), 'circular-json-file-'))
  dirs.push(dir)
  return join(dir, 'sub', 'doc.json')
}
afterEach(() => {
  vi.useRealTimers()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** Writes as another process would, with a later modification time so a reader can tell. */
function writeElsewhere(file: string, doc: unknown, mtime: Date): void {
  writeFileSync(file, JSON.stringify(doc))
  utimesSync(file, mtime, mtime)
}

describe('WatchedJsonFile', () => {
  test('a missing file should read as the empty document', () => {
    expect(new WatchedJsonFile(path(), schema, empty, 'REGISTRY_INVALID').read()).toEqual(empty())
  })

  test('write should check the document, create the directory and replace the file readable by the owner only', () => {
    const file = path()
    const doc = new WatchedJsonFile(file, schema, empty, 'REGISTRY_INVALID')
    doc.write({ version: 1, names: ['a'] })
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, names: ['a'] })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(doc.read()).toEqual({ version: 1, names: ['a'] })
    expect(() => doc.write({ version: 1, names: [''] })).toThrow()
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, names: ['a'] })
    // No temporary file is left behind.
    expect(readdirSync(join(file, '..'))).toEqual(['doc.json'])
  })

  test('a file that is no JSON or breaks the schema should be refused with the given code, naming the path and the field', () => {
    const file = path()
    new WatchedJsonFile(file, schema, empty, 'TENANTS_INVALID').write(empty())
    writeFileSync(file, '{"version": 1, "names": [')
    const open = () => new WatchedJsonFile(file, schema, empty, 'TENANTS_INVALID')
    expect(open).toThrow(expect.objectContaining({ code: 'TENANTS_INVALID' }))
    expect(open).toThrow(new RegExp(`^cannot read ${escapeRegExp(file)}: `))
    writeFileSync(file, JSON.stringify({ version: 1, names: ['ok', 7] }))
    expect(open).toThrow(expect.objectContaining({ code: 'TENANTS_INVALID' }))
    expect(open).toThrow(new RegExp(`^${escapeRegExp(file)} is invalid: names\\.1: `))
  })

  test('read should see another process\'s change once the recheck interval is over; readCurrent and readFresh at once', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const file = path()
    const reader = new WatchedJsonFile(file, schema, empty, 'REGISTRY_INVALID')
    new WatchedJsonFile(file, schema, empty, 'REGISTRY_INVALID').write({ version: 1, names: ['first'] })
    // The reader checked the (then missing) file at construction: within a second it does not look again.
    expect(reader.read()).toEqual(empty())
    expect(reader.readCurrent()).toEqual({ version: 1, names: ['first'] })
    writeElsewhere(file, { version: 1, names: ['second'] }, new Date(Date.now() + 5000))
    expect(reader.read()).toEqual({ version: 1, names: ['first'] })
    vi.setSystemTime(Date.now() + 1000)
    expect(reader.read()).toEqual({ version: 1, names: ['second'] })
    writeElsewhere(file, { version: 1, names: ['third'] }, new Date(Date.now() + 10_000))
    expect(reader.readFresh()).toEqual({ version: 1, names: ['third'] })
  })

  test('a file removed by another process should read as empty again', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const file = path()
    const doc = new WatchedJsonFile(file, schema, empty, 'REGISTRY_INVALID')
    doc.write({ version: 1, names: ['a'] })
    rmSync(file)
    expect(doc.readCurrent()).toEqual(empty())
  })

  test('update should change the newest content, so another instance\'s write in between is kept', () => {
    const file = path()
    const mine = new WatchedJsonFile(file, schema, empty, 'REGISTRY_INVALID')
    mine.write({ version: 1, names: ['a'] })
    new WatchedJsonFile(file, schema, empty, 'REGISTRY_INVALID').update((c) => ({ ...c, names: [...c.names, 'b'] }))
    // `mine` last read ['a'] and would not look again within the second.
    mine.update((c) => ({ ...c, names: [...c.names, 'c'] }))
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ version: 1, names: ['a', 'b', 'c'] })
  })

  test('a change that throws or returns nothing should write nothing and leave no lock behind', () => {
    const file = path()
    const doc = new WatchedJsonFile(file, schema, empty, 'REGISTRY_INVALID')
    doc.write({ version: 1, names: ['a'] })
    expect(() =>
      doc.update(() => {
        throw new Error('refused')
      }),
    ).toThrow('refused')
    doc.update(() => undefined)
    expect(readdirSync(join(file, '..'))).toEqual(['doc.json'])
    doc.update((c) => ({ ...c, names: [...c.names, 'b'] }))
    expect(doc.read()).toEqual({ version: 1, names: ['a', 'b'] })
  })

  test('a lock left by a writer that died should be taken once it is stale', () => {
    const file = path()
    const doc = new WatchedJsonFile(file, schema, empty, 'REGISTRY_INVALID')
    mkdirSync(`${file}.lock`, { recursive: true })
    const longAgo = new Date(Date.now() - 60_000)
    utimesSync(`${file}.lock`, longAgo, longAgo)
    doc.update((c) => ({ ...c, names: ['after'] }))
    expect(doc.read()).toEqual({ version: 1, names: ['after'] })
  })
})
