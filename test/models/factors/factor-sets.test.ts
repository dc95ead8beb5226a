import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { PlatformError } from '../../../models/errors.js'
import type { FactorSet } from '../../../models/factors/factor-set.js'
import { loadFactorSets, newestVersion } from '../../../models/factors/factor-sets.js'

const builtIn = JSON.parse(readFileSync(new URL('../../../models/factors/sets/2025.1.json', import.meta.url), 'utf8')) as FactorSet

const dirs: string[] = []
function setsDir(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'circular-factors-'))
  dirs.push(dir)
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content))
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const version = (v: string): FactorSet => ({ ...builtIn, version: v, description: `set ${v}` })

describe('loadFactorSets', () => {
  test('should hold the built-in sets, frozen, and add the .json sets of the extra directory only', () => {
    expect([...loadFactorSets().keys()]).toEqual(['2025.1'])
    const sets = loadFactorSets(setsDir({ '2026.1.json': version('2026.1'), 'README.md': 'not a set', '2026.2.json.bak': '{' }))
    expect([...sets.keys()].sort()).toEqual(['2025.1', '2026.1'])
    expect(sets.get('2026.1')?.description).toBe('set 2026.1')
    expect(Object.isFrozen(sets.get('2026.1'))).toBe(true)
  })

  test('should refuse an invalid set as CONFIG_INVALID, naming the file and what is wrong', () => {
    const dir = setsDir({ 'broken.json': { ...version('2026.1'), version: 'next', districtHeat: { value: -1, source: builtIn.districtHeat.source } } })
    const error = (() => {
      try {
        loadFactorSets(dir)
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(PlatformError.is(error) && error.code).toBe('CONFIG_INVALID')
    const message = (error as Error).message
    expect(message).toContain(join(dir, 'broken.json'))
    expect(message).toMatch(/version: /)
    expect(message).toMatch(/districtHeat\.value: /)
  })
})

describe('newestVersion', () => {
  test('should compare versions by year, then by number, not as text', () => {
    const sets = new Map(['2024.12', '2025.9', '2025.10', '2025.2'].map((v) => [v, version(v)]))
    expect(newestVersion(sets)).toBe('2025.10')
    expect(newestVersion(new Map([['2024.12', version('2024.12')], ['2025.1', version('2025.1')]]))).toBe('2025.1')
  })

  test('should refuse to choose from no sets at all', () => {
    expect(() => newestVersion(new Map())).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: 'no emission factor set is available' }))
  })
})
