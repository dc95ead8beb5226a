import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import { builtInSettings } from '../../../core/alerts/rule-settings.js'
import { createLogger } from '../../../core/logger.js'
import { RulesSource, readRulesFile } from '../../../processors/alerts/rules-source.js'

const container = { tenant: 'city', kind: 'waste_container' } as const
const hook = { id: 'ops', url: 'https://hooks.city.example/ops', secret: 'ops-secret-0123456789' }

describe('alert rules source', () => {
  let dir: string
  let path: string
  let logged: string[]
  const logger = () => createLogger('info', 'test', { write: (line: string) => void logged.push(line) })
  /** Writes the file with a modification time of its own, as an edit some seconds later would have. */
  let edits = 0
  const write = (content: unknown): void => {
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content))
    const at = new Date(Date.UTC(2026, 0, 1) + ++edits * 10_000)
    utimesSync(path, at, at)
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'circular-rules-source-'))
    path = join(dir, 'alert-rules.json')
    logged = []
    // Only the clock that spaces the file checks is moved; file times stay real.
    vi.useFakeTimers({ toFake: ['Date'] })
  })
  afterEach(() => {
    vi.useRealTimers()
    rmSync(dir, { recursive: true, force: true })
  })
  const later = (ms: number): void => {
    vi.setSystemTime(Date.now() + ms)
  }

  test('without a file the built-in rules should apply, with no webhooks and no Open311 channel', () => {
    const rules = new RulesSource(undefined, logger())
    expect(rules.settingsFor(container)).toEqual(builtInSettings)
    expect(rules.webhooksFor('city', 'fill', 'firing')).toEqual([])
    expect(rules.open311For('city', 'fill')).toBeUndefined()
    expect(rules.open311Channels()).toEqual(new Map())
  })

  test('an edit of the file should take effect within the recheck interval, without a restart', () => {
    write({ version: 1, tenants: { city: { kinds: { waste_container: { fill: { threshold: 0.7 } } } } } })
    const rules = new RulesSource(path, logger())
    expect(rules.settingsFor(container).fill.threshold).toBe(0.7)
    write({ version: 1, tenants: { city: { kinds: { waste_container: { fill: { threshold: 0.6 } } }, webhooks: [hook] } } })
    // Checked at most once a second.
    later(500)
    expect(rules.settingsFor(container).fill.threshold).toBe(0.7)
    later(600)
    expect(rules.settingsFor(container).fill.threshold).toBe(0.6)
    expect(rules.webhooksFor('city', 'fill', 'firing').map((w) => w.id)).toEqual(['ops'])
    expect(logged.some((line) => line.includes('alert rules reloaded'))).toBe(true)
  })

  test('a file that becomes invalid should be reported, and the rules in force should stay', () => {
    write({ version: 1, all: { fill: { threshold: 0.65 } } })
    const rules = new RulesSource(path, logger())
    expect(rules.settingsFor(container).fill.threshold).toBe(0.65)
    write('{"version": 1, "all": ')
    later(1500)
    expect(rules.settingsFor(container).fill.threshold).toBe(0.65)
    expect(logged.filter((line) => line.includes('the previous rules stay in force'))).toHaveLength(1)
    // Fixed, it is read again.
    write({ version: 1, all: { fill: { threshold: 0.75 } } })
    later(1500)
    expect(rules.settingsFor(container).fill.threshold).toBe(0.75)
  })

  test('an optional file that is missing should mean the built-in rules until one is written', () => {
    const rules = new RulesSource(path, logger(), { optional: true })
    expect(rules.settingsFor(container)).toEqual(builtInSettings)
    write({ version: 1, tenants: { city: { open311: { id: 'city-311', endpoint: 'https://311.city.example/v2', apiKey: 'k', serviceCodes: { fill: 'FULL' } } } } })
    later(1500)
    expect(rules.open311For('city', 'fill')).toMatchObject({ serviceCode: 'FULL', channel: { id: 'city-311' } })
    expect([...rules.open311Channels().keys()]).toEqual(['city-311'])
  })

  test('a file that is invalid at start-up should stop the start, missing or not, with the problems named', () => {
    expect(() => new RulesSource(path, logger())).toThrow(expect.objectContaining({ code: 'ALERT_RULES_INVALID', message: expect.stringContaining('cannot read alert rules') as string }))
    write({ version: 2 })
    expect(() => new RulesSource(path, logger(), { optional: true })).toThrow(expect.objectContaining({ code: 'ALERT_RULES_INVALID' }))
    write({ version: 1, tenants: { city: { webhooks: [{ ...hook, secret: 'short' }] } } })
    expect(() => readRulesFile(path)).toThrow(/alert rules .* are invalid: tenants\.city\.webhooks\.0\.secret: /)
  })
})
