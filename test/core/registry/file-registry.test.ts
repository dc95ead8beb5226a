import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { FileRegistry } from '../../../core/registry/file-registry.js'
import { start } from '../../support/circular-process.js'
import type { Device } from '../../../core/registry/device.js'

const device = (id: string): Device => ({
  id,
  tenant: 'city',
  site: 'depot',
  kind: 'waste_container',
  format: 'auto',
  apiKey: 'city',
  secretHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
  createdAt: '2026-01-01T00:00:00.000Z',
})

describe('file registry', () => {
  const path = (): string => join(mkdtempSync(join(tmpdir(), 'registry-')), 'registry.json')

  test('add should persist devices that another reader sees, and refuse a duplicate id', () => {
    const file = path()
    const writer = new FileRegistry(file)
    writer.add(device('bin-1'))
    expect(new FileRegistry(file).get('bin-1')).toEqual(device('bin-1'))
    expect(() => writer.add(device('bin-1'))).toThrow(expect.objectContaining({ code: 'DEVICE_EXISTS' }))
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ version: 1, devices: [{ id: 'bin-1' }] })
  })

  test('a missing file should mean an empty registry', () => {
    expect(new FileRegistry(path()).list()).toEqual([])
  })

  test('an invalid file should be refused with a message naming the bad field', () => {
    const file = path()
    writeFileSync(file, JSON.stringify({ version: 1, devices: [{ ...device('bin-1'), kind: 'toaster' }] }))
    expect(() => new FileRegistry(file)).toThrow(/devices\.0\.kind/)
  })

  test('remove should delete a device and report whether it existed', () => {
    const registry = new FileRegistry(path())
    registry.add(device('bin-1'))
    expect(registry.remove('bin-1')).toBe(true)
    expect(registry.remove('bin-1')).toBe(false)
    expect(registry.get('bin-1')).toBeUndefined()
  })

  test('upgradeSecretHashes should replace a hash only where the device still has the one that was checked', () => {
    const file = path()
    const registry = new FileRegistry(file)
    registry.add({ ...device('old'), secretHash: 'scrypt$a' })
    registry.add({ ...device('again'), secretHash: 'sha256$new' })
    expect(registry.upgradeSecretHashes([{ id: 'old', from: 'scrypt$a', to: 'sha256$fast' }, { id: 'again', from: 'scrypt$b', to: 'sha256$stale' }, { id: 'gone', from: 'scrypt$c', to: 'sha256$x' }])).toBe(1)
    const reread = new FileRegistry(file)
    expect(reread.get('old')?.secretHash).toBe('sha256$fast')
    expect(reread.get('again')?.secretHash).toBe('sha256$new')
    expect(reread.get('gone')).toBeUndefined()
  })

  test('two processes adding and revoking at once should lose no device and bring back no revoked one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'registry-'))
    const env = { ...process.env, CIRCULAR_STATE_DIR: dir, CIRCULAR_LOG_LEVEL: 'warn' } as Record<string, string>
    const writers = ['a', 'b'].map((prefix) => start(['--import', 'tsx', 'test/support/registry-writer.ts', prefix, '100', '20'], env))
    const results = await Promise.all(writers.map((w) => w.finished))
    for (const r of results) expect(r.code, r.stderr).toBe(0)
    const revoked = results.flatMap((r) => (JSON.parse(r.stdout.trim()) as { revoked: string[] }).revoked)
    expect(revoked).toHaveLength(40)
    const ids = new FileRegistry(join(dir, 'registry.json')).list().map((d) => d.id)
    expect(ids).toHaveLength(160)
    expect(ids.filter((id) => revoked.includes(id))).toEqual([])
  }, 120_000)
})
