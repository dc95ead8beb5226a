import type { Client } from 'aedes'
import { describe, expect, test } from 'vitest'
import { ConnectionEvents } from '../../broker/connection-events.js'

const client = (id: string, disconnected = false): Client => ({ id, _disconnected: disconnected }) as unknown as Client
const device = (id: string) => ({ id, tenant: 'city', site: 'depot' })

describe('ConnectionEvents', () => {
  test('a session should start online and be named by broker, client id and time', () => {
    const events = new ConnectionEvents('b1')
    expect(events.started(client('bin-1'), device('bin-1'), 1000, 'connected over MQTT from 10.0.0.5')).toEqual({
      schema: 'circular.device-status/v1',
      deviceId: 'bin-1',
      tenant: 'city',
      site: 'depot',
      at: 1000,
      connection: 'online',
      reason: 'connected',
      detail: 'connected over MQTT from 10.0.0.5',
      session: 'b1:bin-1:1000',
    })
  })

  test('its end should say how: DISCONNECT, lost, or closed by the broker, the first reason standing', () => {
    const events = new ConnectionEvents('b1')
    const [sent, lost, closed, silent] = [client('a', true), client('b'), client('c'), client('d')]
    for (const c of [sent, lost, closed, silent]) events.started(c, device(c.id), 1, '')
    events.lost(lost, 'keep alive timeout')
    events.closedByBroker(closed, 'publish refused: not a telemetry topic')
    events.lost(closed, 'connection closed')
    expect(events.ended(sent, device('a'), 5, true)).toMatchObject({ connection: 'offline', reason: 'disconnected', session: 'b1:a:1', at: 5 })
    expect(events.ended(lost, device('b'), 5, true)).toMatchObject({ reason: 'connection_lost', detail: 'keep alive timeout' })
    expect(events.ended(closed, device('c'), 5, true)).toMatchObject({ reason: 'closed_by_broker', detail: 'publish refused: not a telemetry topic' })
    expect(events.ended(silent, device('d'), 5, true)).toMatchObject({ reason: 'connection_lost', detail: 'the connection closed without DISCONNECT' })
  })

  test("the device's last session to end should tell the newest one it started here, which the alerts follow", () => {
    const events = new ConnectionEvents('b1')
    const [older, newer] = [client('bin:1'), client('bin:2')]
    events.started(older, device('bin'), 1, '')
    events.started(newer, device('bin'), 2, '')
    // The newest ends first while the older one still holds on: nothing to tell yet.
    expect(events.ended(newer, device('bin'), 3, false)).toBeUndefined()
    expect(events.ended(older, device('bin'), 4, true)).toMatchObject({ connection: 'offline', session: 'b1:bin:2:2', at: 4 })
  })

  test('a Last Will on the status topic should be told in the offline event; one handed over elsewhere or refused is noted', () => {
    const events = new ConnectionEvents('b1')
    const [held, noted] = [client('a'), client('b')]
    events.started(held, device('a'), 1, '')
    events.started(noted, device('b'), 1, '')
    events.holdWill(held, 'offline')
    events.noteWill(noted, 'last will on "devices/x/attrs" refused: device "b" may not publish for "x"')
    expect(events.ended(held, device('a'), 2, true)).toMatchObject({ lastWill: 'offline' })
    const ended = events.ended(noted, device('b'), 2, true)!
    expect(ended.lastWill).toBeUndefined()
    expect(ended.detail).toBe('the connection closed without DISCONNECT; last will on "devices/x/attrs" refused: device "b" may not publish for "x"')
  })

  test('a session should end once, and one refused at CONNECT never started', () => {
    const events = new ConnectionEvents('b1')
    const c = client('a')
    expect(events.ended(c, device('a'), 1, true)).toBeUndefined()
    events.started(c, device('a'), 1, '')
    expect(events.ended(c, device('a'), 2, true)).toBeDefined()
    expect(events.ended(c, device('a'), 3, true)).toBeUndefined()
  })
})
