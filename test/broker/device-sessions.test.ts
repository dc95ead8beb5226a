import type { Client } from 'aedes'
import { describe, expect, test } from 'vitest'
import { DeviceSessions } from '../../broker/device-sessions.js'

describe('DeviceSessions', () => {
  const client = (id: string) => ({ id }) as unknown as Client

  test('one more connection than allowed should take over the oldest; a closed one frees its place', () => {
    const taken: string[] = []
    const sessions = new DeviceSessions(2, (oldest) => taken.push(oldest.id))
    const [a, b, c] = [client('bin:a'), client('bin:b'), client('bin:c')]
    sessions.opened('bin', a)
    sessions.opened('bin', b)
    expect(taken).toEqual([])
    sessions.opened('bin', c)
    expect(taken).toEqual(['bin:a'])
    sessions.closed('bin', a)
    expect(sessions.count('bin')).toBe(2)
    sessions.closed('bin', b)
    sessions.opened('other', client('other'))
    expect([sessions.count('bin'), sessions.count('other'), taken]).toEqual([1, 1, ['bin:a']])
  })
})
