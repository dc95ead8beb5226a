import { describe, expect, test } from 'vitest'
import { resolveOptions } from '../../simulator/options.js'

const now = Date.parse('2026-03-02T08:15:42.123Z')
const base = { url: 'mqtt://127.0.0.1:1883', registryFile: '/tmp/registry.json' }

describe('resolveOptions', () => {
  test('should fill in the defaults and start the history hours before now, on a whole minute', () => {
    expect(resolveOptions(base, now)).toEqual({
      ...base,
      seed: 1,
      speed: 60,
      scale: 1,
      historyHours: 24,
      tenant: 'demo-city',
      maxInFlight: 500,
      drainTimeoutMs: 15_000,
      startAt: Date.parse('2026-03-01T08:15:00Z'),
    })
    expect(resolveOptions({ ...base, historyHours: 0 }, now).startAt).toBe(Date.parse('2026-03-02T08:15:00Z'))
    expect(resolveOptions({ ...base, historyHours: 1.5 }, now).startAt).toBe(Date.parse('2026-03-02T06:45:00Z'))
  })

  test('a start given should be kept as it is, also now itself', () => {
    expect(resolveOptions({ ...base, startAt: 1_000_000 }, now).startAt).toBe(1_000_000)
    expect(resolveOptions({ ...base, startAt: now }, now).startAt).toBe(now)
  })

  test('a start in the future should be refused', () => {
    expect(() => resolveOptions({ ...base, startAt: now + 1 }, now)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: 'invalid simulator options: startAt lies in the future' }))
  })

  test('options out of range should be refused as CONFIG_INVALID, naming each option at fault', () => {
    const problems = (options: Parameters<typeof resolveOptions>[0]): string => {
      try {
        resolveOptions(options, now)
      } catch (error) {
        expect(error).toMatchObject({ code: 'CONFIG_INVALID' })
        return (error as Error).message
      }
      throw new Error('expected a refusal')
    }
    expect(problems({ ...base, url: 'http://127.0.0.1:1883' })).toMatch(/^invalid simulator options: url: mqtt:\/\/host:port or mqtts:\/\/host:port$/)
    const several = problems({ ...base, seed: -1, scale: 201, speed: 0.5, historyHours: 24 * 31 + 1, tenant: 'demo city' })
    for (const option of ['seed', 'scale', 'speed', 'historyHours', 'tenant']) expect(several).toMatch(new RegExp(`(: |; )${option}: `))
    expect(problems({ ...base, seed: 2 ** 32 })).toMatch(/seed: /)
    expect(problems({ ...base, scale: 1.5 })).toMatch(/scale: /)
    expect(problems({ ...base, registryFile: '' })).toMatch(/registryFile: /)
  })

  test('the largest values allowed should be accepted, and mqtts', () => {
    const resolved = resolveOptions({ ...base, url: 'mqtts://broker.example.org:8883', seed: 2 ** 32 - 1, scale: 200, speed: 10_000_000, historyHours: 24 * 31 }, now)
    expect(resolved).toMatchObject({ seed: 2 ** 32 - 1, scale: 200, speed: 10_000_000, historyHours: 744 })
  })
})
