import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { AuditLog } from '../../../core/registry/audit-log.js'

const path = (name: string): string => join(mkdtempSync(join(tmpdir(), 'keys-')), name)

describe('audit log', () => {
  test('appends durable JSON lines, reads them newest first, per tenant, skipping a torn last line', () => {
    const file = path('audit.jsonl')
    const log = new AuditLog(file)
    log.append({ actor: 'cli:ops', action: 'key.create', tenant: 'alpha', target: 'k1' }, 1000)
    log.append({ actor: 'key:abc', action: 'device.add', tenant: 'beta', target: 'bin-9' }, 2000)
    log.append({ actor: 'key:abc', action: 'key.revoke', tenant: 'alpha', target: 'k1' }, 3000)
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(3)
    expect(log.read({ limit: 10 }).map((e) => e.target)).toEqual(['k1', 'bin-9', 'k1'])
    expect(log.read({ tenant: 'alpha', limit: 10 }).map((e) => e.action)).toEqual(['key.revoke', 'key.create'])
    expect(log.read({ limit: 1 })).toHaveLength(1)
    appendFileSync(file, '{"at":"2026-')
    expect(log.read({ limit: 10 })).toHaveLength(3)
  })
})

describe('AuditLog', () => {
  test('a log that was never written should read as empty, and the first append create its directory, readable by the owner only', () => {
    const file = join(path('dir'), 'nested', 'audit.jsonl')
    const log = new AuditLog(file)
    expect(log.read({ limit: 10 })).toEqual([])
    const entry = log.append({ actor: 'cli:ops', action: 'alert-rules.replace', tenant: 'alpha', target: 'alert-rules', details: { rules: 3, replaced: true } }, Date.UTC(2026, 0, 1))
    expect(entry).toEqual({ at: '2026-01-01T00:00:00.000Z', actor: 'cli:ops', action: 'alert-rules.replace', tenant: 'alpha', target: 'alert-rules', details: { rules: 3, replaced: true } })
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(entry)
  })

  test('an entry the schema refuses should never be written', () => {
    const file = path('audit.jsonl')
    const log = new AuditLog(file)
    expect(() => log.append({ actor: '', action: 'key.create', target: 'k1' })).toThrow()
    expect(() => log.append({ actor: 'cli:ops', action: 'key.rotate' as 'key.create', target: 'k1' })).toThrow()
    expect(log.read({ limit: 10 })).toEqual([])
  })

  test('a tenant filter should leave out platform entries, and the limit count only the entries that match', () => {
    const file = path('audit.jsonl')
    const log = new AuditLog(file)
    log.append({ actor: 'cli:ops', action: 'key.create', target: 'platform-key' }, 1000)
    log.append({ actor: 'cli:ops', action: 'device.add', tenant: 'alpha', target: 'bin-1' }, 2000)
    log.append({ actor: 'cli:ops', action: 'device.add', tenant: 'beta', target: 'bin-2' }, 3000)
    log.append({ actor: 'cli:ops', action: 'device.remove', tenant: 'beta', target: 'bin-2' }, 4000)
    expect(log.read({ tenant: 'alpha', limit: 1 }).map((e) => e.target)).toEqual(['bin-1'])
    expect(log.read({ tenant: 'gamma', limit: 10 })).toEqual([])
    expect(log.read({ limit: 10 }).map((e) => e.target)).toEqual(['bin-2', 'bin-2', 'bin-1', 'platform-key'])
  })

  test('lines that are not valid entries should be skipped wherever they are', () => {
    const file = path('audit.jsonl')
    const log = new AuditLog(file)
    log.append({ actor: 'cli:ops', action: 'key.create', tenant: 'alpha', target: 'k1' }, 1000)
    appendFileSync(file, 'not json\n{"at":"yesterday","actor":"x","action":"key.create","target":"k2"}\n\n')
    log.append({ actor: 'cli:ops', action: 'key.revoke', tenant: 'alpha', target: 'k1' }, 2000)
    expect(log.read({ limit: 10 }).map((e) => e.action)).toEqual(['key.revoke', 'key.create'])
  })

  test('a log that cannot be read for another reason than its absence should fail', () => {
    const dir = path('dir')
    writeFileSync(dir, '')
    expect(() => new AuditLog(join(dir, 'audit.jsonl')).read({ limit: 1 })).toThrow(/ENOTDIR/)
  })
})
