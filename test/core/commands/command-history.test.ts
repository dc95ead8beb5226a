import { describe, expect, test } from 'vitest'
import { commandHistory, commandPoint, eventOfPoint } from '../../../core/commands/command-history.js'
import type { CommandEvent, PendingCommand } from '../../../core/commands/device-command.js'

const base = { schema: 'circular.device-command/v1' as const, deviceId: 'bin-1', tenant: 'city', site: 'depot' }
const pending = (commandId: string, name: string, at: number, expiresAt = at + 1000): PendingCommand => ({ ...base, phase: 'pending', commandId, name, value: null, expiresAt, by: 'key:ops', at })

describe('command history', () => {
  test('a command should go pending → delivered → ok, each step with its time', () => {
    const [view] = commandHistory([pending('c1', 'reboot', 10), { ...base, phase: 'delivered', commandId: 'c1', at: 20 }, { ...base, phase: 'ok', commandId: 'c1', result: 'done', at: 30 }], 40)
    expect(view).toMatchObject({ commandId: 'c1', state: 'ok', deliveredAt: 20, answeredAt: 30, result: 'done', history: [{ phase: 'pending', at: 10 }, { phase: 'delivered', at: 20 }, { phase: 'ok', at: 30 }] })
  })

  test('an IoT Agent answer, which names only the command, should answer the oldest of that name sent before it, unexpired and not answered yet', () => {
    const views = commandHistory([pending('c0', 'ping', 5, 8), pending('c1', 'ping', 10), pending('c2', 'ping', 20), pending('c3', 'reboot', 25), { ...base, phase: 'ok', name: 'ping', at: 30 }, { ...base, phase: 'ok', name: 'ping', at: 35 }], 40)
    expect(views.map((v) => [v.commandId, v.state, v.answeredAt])).toEqual([
      ['c3', 'pending', undefined],
      ['c2', 'ok', 35],
      ['c1', 'ok', 30],
      ['c0', 'expired', undefined],
    ])
  })

  test('a command without an answer by its expiry should be expired, and a later answer listed but change nothing', () => {
    const [view] = commandHistory([pending('c1', 'reboot', 10, 100), { ...base, phase: 'delivered', commandId: 'c1', at: 20 }, { ...base, phase: 'ok', commandId: 'c1', at: 150 }], 200)
    expect(view).toMatchObject({ state: 'expired', deliveredAt: 20, history: [{ phase: 'pending' }, { phase: 'delivered' }, { phase: 'ok', at: 150, late: true }] })
    expect(view!.answeredAt).toBeUndefined()
    expect(commandHistory([pending('c2', 'reboot', 10, 100)], 50)[0]!.state).toBe('pending')
  })

  test('an event should come back from its stored point as it was, events of one instant kept apart by their phase', () => {
    const events: CommandEvent[] = [{ ...pending('c1', 'reboot', 10), value: { delaySeconds: 5 } }, { ...base, phase: 'delivered', commandId: 'c1', name: 'reboot', at: 10 }, { ...base, phase: 'error', name: 'reboot', result: 'busy', at: 10 }]
    const points = events.map(commandPoint)
    expect(new Set(points.map((p) => JSON.stringify(p.tags))).size).toBe(3)
    expect(points.map(eventOfPoint)).toEqual(events)
  })
})
