import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { uids } from '../../dashboards/links.js'
import { writeDashboards } from '../../dashboards/generate.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('writeDashboards', () => {
  test('should write one file per dashboard, remove those of dashboards that no longer exist, and leave other files alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'circular-dashboards-'))
    dirs.push(dir)
    writeFileSync(join(dir, 'circular-retired.json'), '{}')
    writeFileSync(join(dir, 'README.md'), 'provisioned by Grafana')
    const files = writeDashboards(dir)
    const expected = Object.values(uids).map((uid) => `${uid}.json`)
    expect([...files].sort()).toEqual([...expected].sort())
    expect(readdirSync(dir).sort()).toEqual([...expected, 'README.md'].sort())
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8')
      expect(text.endsWith('}\n')).toBe(true)
      expect((JSON.parse(text) as { uid: string }).uid).toBe(file.replace(/\.json$/, ''))
    }
  })

  test('should create the directory when it is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'circular-dashboards-'))
    dirs.push(dir)
    expect(writeDashboards(join(dir, 'generated'))).toHaveLength(Object.values(uids).length)
  })
})
