import { describe, expect, test } from 'vitest'
import { createLogger } from '../../../core/logger.js'
import { DeliveryQueues, type WorkOutcome } from '../../../processors/alerts/delivery-queues.js'

const logger = createLogger('silent', 'test')
const quick = { baseMs: 5, factor: 2, capMs: 20, jitter: 0, maxAttempts: Infinity, retryable: () => true }

describe('delivery queues', () => {
  test('keys of one queue are worked one after the other in order; another queue goes on beside a stuck one', async () => {
    const done: string[] = []
    let release: (() => void) | undefined
    const stuck = new Promise<void>((resolve) => (release = resolve))
    const queues = new DeliveryQueues(async (key): Promise<WorkOutcome> => {
      if (key === 'slow-1') await stuck
      done.push(key)
      return 'done'
    }, logger)
    queues.enqueue('slow', 'slow-1')
    queues.enqueue('slow', 'slow-2')
    for (const key of ['fast-1', 'fast-2', 'fast-3']) queues.enqueue('fast', key)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(done).toEqual(['fast-1', 'fast-2', 'fast-3'])
    expect(queues.depths()).toEqual(new Map([['slow', 2]]))
    release!()
    await queues.settled()
    expect(done).toEqual(['fast-1', 'fast-2', 'fast-3', 'slow-1', 'slow-2'])
    expect(queues.depths()).toEqual(new Map())
  })

  test('a key queued twice is worked once; work that throws is tried again, the rest of its queue waiting behind it', async () => {
    const attempts: string[] = []
    let failures = 2
    const queues = new DeliveryQueues(
      async (key): Promise<WorkOutcome> => {
        attempts.push(key)
        if (key === 'a' && failures-- > 0) throw new Error('the outbox is down')
        return 'done'
      },
      logger,
      quick,
    )
    queues.enqueue('q', 'a')
    queues.enqueue('q', 'a')
    queues.enqueue('q', 'b')
    await queues.settled()
    expect(attempts).toEqual(['a', 'a', 'a', 'b'])
  })

  test('stopped, the queues take nothing more and let the work in hand end', async () => {
    const done: string[] = []
    const queues = new DeliveryQueues(async (key): Promise<WorkOutcome> => {
      await new Promise((resolve) => setTimeout(resolve, 10))
      done.push(key)
      return 'done'
    }, logger)
    queues.enqueue('q', 'a')
    queues.enqueue('q', 'b')
    await queues.stop()
    queues.enqueue('q', 'c')
    await queues.settled()
    expect(done).toEqual(['a'])
    expect(queues.stopped).toBe(true)
  })
})
