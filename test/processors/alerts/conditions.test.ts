import { describe, expect, test } from 'vitest'
import { evaluate, lidOpenDueAt, observe, observeConnection, offlineDueAt, offlineVerdict, silenceDueAt, silenceVerdict } from '../../../processors/alerts/conditions.js'
import { step, type Transition } from '../../../processors/alerts/lifecycle.js'
import { builtInSettings, type RuleName, type RuleSettings } from '../../../core/alerts/rule-settings.js'
import { emptyAlertState } from '../../../processors/alerts/state.js'
import type { CanonicalReading } from '../../../models/reading.js'

const minute = 60_000
const t0 = Date.parse('2026-11-02T08:00:00Z')

const fill = (v: number): Partial<CanonicalReading> => ({ measurement: 'waste_container', field: 'filling_level', value: v })
const temp = (v: number): Partial<CanonicalReading> => ({ measurement: 'waste_container', field: 'temperature_c', value: v })
const status = (v: string): Partial<CanonicalReading> => ({ measurement: 'waste_container', field: 'status', value: v })
const lid = (open: boolean): Partial<CanonicalReading> => ({ measurement: 'waste_container', field: 'lid_open', value: open })
const battery = (v: number): Partial<CanonicalReading> => ({ measurement: 'device_health', field: 'battery_level', value: v })

/** Feeds readings (at minutes after t0) through observation, one rule's condition and the lifecycle; returns the transitions. */
function run(rule: RuleName, steps: [minutes: number, ...readings: Partial<CanonicalReading>[]][], settings: RuleSettings = builtInSettings): Transition[] {
  const state = emptyAlertState()
  const ruleState = { phase: 'idle' as const } as { phase: 'idle' | 'firing' | 'acknowledged' }
  const transitions: Transition[] = []
  for (const [minutes, ...partials] of steps) {
    const time = t0 + minutes * minute
    const readings = partials.map((p) => ({ attribute: 'x', unit: '', time, ...p }) as CanonicalReading)
    observe(state.observations, readings, time, settings)
    const transition = step(ruleState, evaluate(rule, state.observations, time, settings), rule, 'bin-1', time, settings.cooldownMinutes)
    if (transition) transitions.push(transition)
  }
  return transitions
}

const phases = (transitions: Transition[]): [string, number][] => transitions.map((t) => [t.phase, (t.at - t0) / minute])

describe('fill rule', () => {
  test('a fill hovering around the threshold should raise one alert and resolve only below threshold − hysteresis', () => {
    const transitions = run('fill', [[0, fill(0.5)], [10, fill(0.81)], [20, fill(0.79)], [30, fill(0.82)], [40, fill(0.71)], [50, fill(0.85)], [60, fill(0.69)]])
    expect(phases(transitions)).toEqual([
      ['firing', 10],
      ['resolved', 60],
    ])
    expect(transitions[0]).toMatchObject({ value: 0.81, firedAt: t0 + 10 * minute })
    expect(transitions[1]!.alertId).toBe(transitions[0]!.alertId)
  })

  test('a fill that rises again within the cooldown should fire only once the cooldown is over', () => {
    // Resolved at 20; the 30-minute cooldown ends at 50.
    const transitions = run('fill', [[0, fill(0.9)], [20, fill(0.1)], [30, fill(0.95)], [49, fill(0.95)], [50, fill(0.95)]])
    expect(phases(transitions)).toEqual([
      ['firing', 0],
      ['resolved', 20],
      ['firing', 50],
    ])
    expect(transitions[2]!.alertId).not.toBe(transitions[0]!.alertId)
  })

  test('the threshold and hysteresis should come from the settings', () => {
    const settings = { ...builtInSettings, fill: { enabled: true, threshold: 0.6, hysteresis: 0.2 } }
    expect(phases(run('fill', [[0, fill(0.6)], [1, fill(0.41)], [2, fill(0.39)]], settings))).toEqual([
      ['firing', 0],
      ['resolved', 2],
    ])
  })
})

describe('fire rule', () => {
  test('a temperature at the alarm level should raise it, and it should resolve only below alarm − hysteresis', () => {
    expect(phases(run('fire', [[0, temp(20)], [60, temp(70)], [61, temp(65)], [62, temp(59)]]))).toEqual([
      ['firing', 60],
      ['resolved', 62],
    ])
  })

  test('a fast rise below the alarm level should raise it; the same rise spread over a longer time should not', () => {
    expect(phases(run('fire', [[0, temp(20)], [5, temp(30)], [9, temp(41)]]))).toEqual([['firing', 9]])
    expect(run('fire', [[0, temp(20)], [6, temp(30)], [12, temp(41)], [18, temp(50)]])).toEqual([])
  })

  test('status burning should raise it whatever the temperature, and another status should resolve it', () => {
    const transitions = run('fire', [[0, temp(15), status('burning')], [5, status('ok')]])
    expect(phases(transitions)).toEqual([
      ['firing', 0],
      ['resolved', 5],
    ])
    expect(transitions[0]!.value).toBe('burning')
  })
})

describe('tamper rule', () => {
  test.each(['dropped', 'moved', 'vandalized'])('status %s should raise it and ok should resolve it', (s) => {
    expect(phases(run('tamper', [[0, status('ok')], [1, status(s)], [2, status(s)], [3, status('ok')]]))).toEqual([
      ['firing', 1],
      ['resolved', 3],
    ])
  })

  test('a lid open for less than the grace period should raise nothing; one open longer should', () => {
    expect(run('tamper', [[0, lid(true)], [14, lid(true)], [15, lid(false)]])).toEqual([])
    expect(phases(run('tamper', [[0, lid(true)], [10, lid(true)], [16, lid(true)], [20, lid(false)]]))).toEqual([
      ['firing', 16],
      ['resolved', 20],
    ])
  })

  test('status lidOpen should count as an open lid from when it was first reported', () => {
    expect(phases(run('tamper', [[0, status('lidOpen')], [15, status('lidOpen')], [16, status('ok')]]))).toEqual([
      ['firing', 15],
      ['resolved', 16],
    ])
  })
})

describe('low battery rule', () => {
  test('a battery below the level should raise it, and it should resolve only at level + hysteresis', () => {
    expect(phases(run('low_battery', [[0, battery(0.5)], [1, battery(0.14)], [2, battery(0.18)], [3, battery(0.12)], [4, battery(0.2)]]))).toEqual([
      ['firing', 1],
      ['resolved', 4],
    ])
  })

  test('readings without the rule\u2019s quantity should raise and resolve nothing', () => {
    expect(run('low_battery', [[0, fill(0.9)], [1, temp(90)]])).toEqual([])
  })
})

describe('silence rule', () => {
  test('a device should count as silent after its missed intervals, on the arrival clock, and not before it ever reported', () => {
    const settings = { ...builtInSettings, silence: { enabled: true, expectedIntervalMinutes: 10, missedIntervals: 2.5 } }
    expect(silenceVerdict({ recentTemperatures: [] }, t0, settings)).toEqual({ kind: 'hold' })
    const heard = { recentTemperatures: [], lastReceivedAt: t0 }
    expect(silenceVerdict(heard, t0 + 24 * minute, settings)).toEqual({ kind: 'hold' })
    expect(silenceVerdict(heard, t0 + 25 * minute, settings)).toEqual({ kind: 'raise', value: 25, reason: 'no reading for 25 min' })
  })
})

describe('offline rule', () => {
  const settings: RuleSettings = { ...builtInSettings, offline: { enabled: true, graceMinutes: 5, onDisconnect: false } }
  const online = (session: string) => ({ connection: 'online', reason: 'connected', detail: '', session })
  const offline = (session: string, reason = 'connection_lost') => ({ connection: 'offline', reason, detail: 'keep alive timeout', session })

  test('a lost session should raise once the grace has passed without a new one, and a new session should clear it', () => {
    const o = emptyAlertState().observations
    expect(offlineVerdict(o, t0, settings)).toEqual({ kind: 'hold' })
    observeConnection(o, online('b1:bin:1'), t0)
    expect(offlineVerdict(o, t0, settings)).toEqual({ kind: 'clear' })
    observeConnection(o, offline('b1:bin:1'), t0 + minute)
    expect(offlineDueAt(o, settings)).toBe(t0 + 6 * minute)
    expect(offlineVerdict(o, t0 + 5 * minute, settings)).toEqual({ kind: 'hold' })
    expect(offlineVerdict(o, t0 + 6 * minute, settings)).toEqual({ kind: 'raise', value: 'offline', reason: `offline since ${new Date(t0 + minute).toISOString()}: connection lost (keep alive timeout)` })
    observeConnection(o, online('b1:bin:2'), t0 + 7 * minute)
    expect(offlineVerdict(o, t0 + 8 * minute, settings)).toEqual({ kind: 'clear' })
    expect(offlineDueAt(o, settings)).toBeUndefined()
  })

  test('the end of an older session, told after the device moved to another broker, should change nothing', () => {
    const o = emptyAlertState().observations
    observeConnection(o, online('b1:bin:1'), t0)
    observeConnection(o, online('b2:bin:2'), t0 + minute)
    observeConnection(o, offline('b1:bin:1'), t0 + 2 * minute)
    expect(offlineVerdict(o, t0 + 60 * minute, settings)).toEqual({ kind: 'clear' })
    // An online event of the older session arriving late does not displace the newer one.
    observeConnection(o, online('b1:bin:1'), t0 - minute)
    expect(o.session?.name).toBe('b2:bin:2')
  })

  test('a DISCONNECT the device sent should raise nothing unless the city asks for it', () => {
    const o = emptyAlertState().observations
    observeConnection(o, online('b1:bin:1'), t0)
    observeConnection(o, offline('b1:bin:1', 'disconnected'), t0)
    expect(offlineVerdict(o, t0 + 60 * minute, settings)).toEqual({ kind: 'clear' })
    expect(offlineVerdict(o, t0 + 60 * minute, { ...settings, offline: { ...settings.offline, onDisconnect: true } })).toMatchObject({ kind: 'raise' })
  })

  test('per-reading evaluation should leave the rule alone', () => {
    expect(evaluate('offline', emptyAlertState().observations, t0, settings)).toEqual({ kind: 'hold' })
  })
})

describe('clock deadlines', () => {
  test('a silence check should be due once the missed intervals have passed since the newest arrival, and not before a first reading', () => {
    expect(silenceDueAt({ recentTemperatures: [] }, builtInSettings)).toBeUndefined()
    // Built in: expected every 60 min, silent after 3 missed intervals.
    expect(silenceDueAt({ recentTemperatures: [], lastReceivedAt: t0 }, builtInSettings)).toBe(t0 + 180 * minute)
  })

  test('a lid check should be due at the end of the grace period from when the lid was first seen open, and never for a shut lid', () => {
    const state = emptyAlertState()
    const at = (minutes: number, open: boolean): void => {
      const time = t0 + minutes * minute
      observe(state.observations, [{ attribute: 'lidOpen', measurement: 'waste_container', field: 'lid_open', value: open, unit: '', time }], time, builtInSettings)
    }
    expect(lidOpenDueAt(state.observations, builtInSettings)).toBeUndefined()
    at(0, true)
    at(5, true)
    expect(lidOpenDueAt(state.observations, builtInSettings)).toBe(t0 + 15 * minute)
    at(6, false)
    expect(lidOpenDueAt(state.observations, builtInSettings)).toBeUndefined()
  })
})

describe('observation', () => {
  test('only the temperatures within the fast-rise window should be kept, oldest first', () => {
    const state = emptyAlertState()
    for (const minutes of [0, 4, 8, 12]) {
      const time = t0 + minutes * minute
      observe(state.observations, [{ attribute: 'temperature', measurement: 'waste_container', field: 'temperature_c', value: 20 + minutes, unit: 'Cel', time }], time, builtInSettings)
    }
    // Built-in window 10 min: at minute 12 the readings from minute 2 on count.
    expect(state.observations.recentTemperatures).toEqual([
      [t0 + 4 * minute, 24],
      [t0 + 8 * minute, 28],
      [t0 + 12 * minute, 32],
    ])
    expect(state.observations.temperatureC).toBe(32)
  })

  test('rules judged on whole hours, windows or the clock should not be decided by one instant', () => {
    const o = { recentTemperatures: [], fill: 0.99, battery: 0.01 }
    expect(evaluate('energy_anomaly', o, t0, builtInSettings)).toEqual({ kind: 'hold' })
    expect(evaluate('mass_balance', o, t0, builtInSettings)).toEqual({ kind: 'hold' })
    // A reading is itself the proof that the device is not silent.
    expect(evaluate('silence', o, t0, builtInSettings)).toEqual({ kind: 'clear' })
  })
})
