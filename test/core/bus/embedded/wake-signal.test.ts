import { describe, expect, test } from 'vitest'
import { WakeSignal } from '../../../../core/bus/embedded/wake-signal.js'

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('WakeSignal', () => {
  test('notify should wake every waiter at once', async () => {
    const signal = new WakeSignal()
    const woken: number[] = []
    for (const id of [1, 2, 3]) void signal.next().then(() => woken.push(id))
    await settle()
    expect(woken).toEqual([])
    signal.notify()
    await settle()
    expect(woken).toEqual([1, 2, 3])
  })

  test('a notification without waiters should not be kept for the next waiter', async () => {
    const signal = new WakeSignal()
    signal.notify()
    let woke = false
    void signal.next().then(() => (woke = true))
    await settle()
    expect(woke).toBe(false)
    signal.notify()
    await settle()
    expect(woke).toBe(true)
  })

  test('a waiter added after a notification should wait for the next one', async () => {
    const signal = new WakeSignal()
    const woken: string[] = []
    void signal.next().then(() => woken.push('first'))
    signal.notify()
    void signal.next().then(() => woken.push('second'))
    await settle()
    expect(woken).toEqual(['first'])
    signal.notify()
    await settle()
    expect(woken).toEqual(['first', 'second'])
  })
})
