import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { createLogger } from '../../../core/logger.js'
import { builtInSettings, rulesFile, settingsFor } from '../../../core/alerts/rule-settings.js'
import { RulesSource } from '../../../processors/alerts/rules-source.js'

const logger = createLogger('silent', 'test')

describe('rule settings', () => {
  const file = rulesFile.parse({
    version: 1,
    all: { cooldownMinutes: 5 },
    kinds: { waste_container: { fill: { threshold: 0.7 }, fire: { alarmC: 60 } } },
    tenants: {
      antwerp: { all: { low_battery: { below: 0.3 } }, kinds: { waste_container: { fill: { threshold: 0.9 } } } },
      ghent: { kinds: { energy_meter: { fill: { enabled: false } } } },
    },
  })

  test('no file should give the built-in defaults', () => {
    expect(settingsFor({ version: 1 }, { tenant: 'x', kind: 'waste_container' })).toEqual(builtInSettings)
    expect(builtInSettings.fill.threshold).toBe(0.8)
    expect(builtInSettings.fire.alarmC).toBe(70)
  })

  test('the most specific layer should win, setting by setting', () => {
    const ghent = settingsFor(file, { tenant: 'ghent', kind: 'waste_container' })
    expect(ghent.fill).toEqual({ enabled: true, threshold: 0.7, hysteresis: 0.1 })
    expect(ghent.fire.alarmC).toBe(60)
    expect(ghent.fire.riseC).toBe(builtInSettings.fire.riseC)
    expect(ghent.cooldownMinutes).toBe(5)
    const antwerp = settingsFor(file, { tenant: 'antwerp', kind: 'waste_container' })
    expect(antwerp.fill.threshold).toBe(0.9)
    expect(antwerp.low_battery).toEqual({ enabled: true, below: 0.3, hysteresis: 0.05 })
    expect(settingsFor(file, { tenant: 'ghent', kind: 'energy_meter' }).fill.enabled).toBe(false)
  })

  test('a container\u2019s registered fullness threshold should override the file', () => {
    expect(settingsFor(file, { tenant: 'antwerp', kind: 'waste_container', fullnessThreshold: 0.75 }).fill.threshold).toBe(0.75)
  })

  test('unknown rules, unknown settings and out-of-range values should be refused', () => {
    expect(rulesFile.safeParse({ version: 1, all: { flood: {} } }).success).toBe(false)
    expect(rulesFile.safeParse({ version: 1, all: { fill: { treshold: 0.8 } } }).success).toBe(false)
    expect(rulesFile.safeParse({ version: 1, kinds: { waste_container: { fill: { threshold: 1.5 } } } }).success).toBe(false)
    expect(rulesFile.safeParse({ version: 1, kinds: { toaster: {} } }).success).toBe(false)
    expect(rulesFile.safeParse({ version: 1, all: { tamper: { statuses: ['stolen'] } } }).success).toBe(false)
  })
})

describe('rules file reloading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'circular-rules-'))
  const path = join(dir, 'rules.json')
  afterEach(() => {
    vi.useRealTimers()
  })

  test('an edited file should apply without a restart; an invalid edit should keep the rules in force', () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    writeFileSync(path, JSON.stringify({ version: 1, all: { fill: { threshold: 0.6 } } }))
    const source = new RulesSource(path, logger)
    const device = { tenant: 't', kind: 'waste_container' } as const
    expect(source.settingsFor(device).fill.threshold).toBe(0.6)

    writeFileSync(path, JSON.stringify({ version: 1, all: { fill: { threshold: 0.65 } } }))
    utimesSync(path, new Date(Date.now() + 10_000), new Date(Date.now() + 10_000))
    vi.advanceTimersByTime(1500)
    expect(source.settingsFor(device).fill.threshold).toBe(0.65)

    writeFileSync(path, '{"version": 1, "all": {"fill": {"threshold": "high"}}}')
    utimesSync(path, new Date(Date.now() + 20_000), new Date(Date.now() + 20_000))
    vi.advanceTimersByTime(1500)
    expect(source.settingsFor(device).fill.threshold).toBe(0.65)
    rmSync(dir, { recursive: true, force: true })
  })

  test('an invalid file at start-up should stop the start with ALERT_RULES_INVALID', () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'circular-rules-')), 'rules.json')
    writeFileSync(bad, '{"version": 2}')
    expect(() => new RulesSource(bad, logger)).toThrow(expect.objectContaining({ code: 'ALERT_RULES_INVALID' }))
    expect(() => new RulesSource(join(dir, 'missing.json'), logger)).toThrow(expect.objectContaining({ code: 'ALERT_RULES_INVALID' }))
  })
})
