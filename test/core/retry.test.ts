import fc from 'fast-check'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { redeliveryPolicy } from '../../core/bus/embedded/consumer-group.js'
import { retry, retryDelay, waitInSlices, type RetryPolicy } from '../../core/retry.js'
import { handOverRetryPolicy } from '../../ingest/bridge.js'
import { PlatformError } from '../../models/errors.js'
import { deliveryRetryPolicy } from '../../processors/alerts/webhook.js'
import { sinkRetryPolicy } from '../../processors/store-sink.js'

/** Just below 1, the largest value `Math.random` returns. */
const almostOne = 1 - Number.EPSILON
const never = (): number => {
  throw new Error('a policy without jitter must not draw a random number')
}

describe('retryDelay', () => {
  test('the sink should double from 100 ms within ±25 % and stop at its configured cap', () => {
    const policy = sinkRetryPolicy({ batchMax: 1000, retryMaxMs: 10_000 })
    expect([0, 1, 2, 3, 6].map((a) => retryDelay(policy, a, () => 0.5))).toEqual([100, 200, 400, 800, 6400])
    expect(retryDelay(policy, 7, () => 0.5)).toBe(10_000)
    expect(retryDelay(policy, 50, () => 0.5)).toBe(10_000)
    expect(retryDelay(policy, 3, () => 0)).toBe(600)
    expect(retryDelay(policy, 3, () => almostOne)).toBeLessThanOrEqual(1000)
    expect(retryDelay(policy, 3, () => almostOne)).toBeCloseTo(1000, 6)
    expect(retryDelay(policy, 20, () => 0)).toBe(7500)
    expect(retryDelay(policy, 20, () => almostOne)).toBeLessThanOrEqual(12_500)
    expect(retryDelay(policy, 20, () => almostOne)).toBeCloseTo(12_500, 6)
  })

  test('the sink should stop doubling after 16 failures when its cap is higher', () => {
    const policy = sinkRetryPolicy({ batchMax: 1000, retryMaxMs: 1e12 })
    expect(retryDelay(policy, 16, () => 0.5)).toBe(100 * 2 ** 16)
    expect(retryDelay(policy, 17, () => 0.5)).toBe(100 * 2 ** 16)
    expect(retryDelay(policy, 500, () => 0.5)).toBe(100 * 2 ** 16)
  })

  test('the bridge should double from 200 ms up to 10 s without jitter, however many failures', () => {
    expect([0, 1, 2, 5].map((a) => retryDelay(handOverRetryPolicy, a, never))).toEqual([200, 400, 800, 6400])
    expect(retryDelay(handOverRetryPolicy, 6, never)).toBe(10_000)
    expect(retryDelay(handOverRetryPolicy, 5000, never)).toBe(10_000)
  })

  test('the embedded group should redeliver after 250 ms, doubling up to 10 s, without jitter', () => {
    expect([0, 1, 2, 5].map((a) => retryDelay(redeliveryPolicy, a, never))).toEqual([250, 500, 1000, 8000])
    expect(retryDelay(redeliveryPolicy, 6, never)).toBe(10_000)
    expect(retryDelay(redeliveryPolicy, 5000, never)).toBe(10_000)
  })

  test('deliveries should double from the configured base within ±50 % and stop at the configured cap', () => {
    const policy = deliveryRetryPolicy({ backoffMs: 500, backoffMaxMs: 60_000, maxAttempts: 8 })
    expect([0, 1, 4].map((a) => retryDelay(policy, a, () => 0.5))).toEqual([500, 1000, 8000])
    expect(retryDelay(policy, 7, () => 0.5)).toBe(60_000)
    expect(retryDelay(policy, 1, () => 0)).toBe(500)
    expect(retryDelay(policy, 1, () => almostOne)).toBeLessThanOrEqual(1500)
    expect(retryDelay(policy, 1, () => almostOne)).toBeCloseTo(1500, 6)
    expect(retryDelay(policy, 40, () => 0)).toBe(30_000)
    expect(retryDelay(policy, 40, () => almostOne)).toBeLessThanOrEqual(90_000)
    expect(retryDelay(policy, 40, () => almostOne)).toBeCloseTo(90_000, 6)
  })

  test('deliveries should stop doubling after 30 failures when the cap is higher', () => {
    const policy = deliveryRetryPolicy({ backoffMs: 1, backoffMaxMs: 2 ** 40, maxAttempts: 8 })
    expect(retryDelay(policy, 30, () => 0.5)).toBe(2 ** 30)
    expect(retryDelay(policy, 31, () => 0.5)).toBe(2 ** 30)
  })

  test('every random draw should land within the jitter around the capped delay', () => {
    const sink = sinkRetryPolicy({ batchMax: 1000, retryMaxMs: 10_000 })
    const delivery = deliveryRetryPolicy({ backoffMs: 500, backoffMaxMs: 60_000, maxAttempts: 8 })
    const draw = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
    fc.assert(
      fc.property(fc.nat(60), draw, (attempt, r) => {
        const sinkCapped = Math.min(10_000, 100 * 2 ** Math.min(attempt, 16))
        const sinkDelay = retryDelay(sink, attempt, () => r)
        const deliveryCapped = Math.min(60_000, 500 * 2 ** Math.min(attempt, 30))
        const deliveryDelay = retryDelay(delivery, attempt, () => r)
        return sinkDelay >= 0.75 * sinkCapped && sinkDelay <= 1.25 * sinkCapped && deliveryDelay >= 0.5 * deliveryCapped && deliveryDelay <= 1.5 * deliveryCapped
      }),
    )
  })

  test('a factor other than 2 should grow the delay by that factor', () => {
    const policy: RetryPolicy = { baseMs: 10, factor: 3, capMs: 1000, jitter: 0, maxAttempts: Infinity, retryable: () => true }
    expect([0, 1, 2, 3, 4, 5].map((a) => retryDelay(policy, a, never))).toEqual([10, 30, 90, 270, 810, 1000])
  })
})

describe('what each caller retries', () => {
  test('the sink should retry what the error catalogue calls transient, and unknown errors', () => {
    const { retryable, maxAttempts } = sinkRetryPolicy({ batchMax: 1000, retryMaxMs: 10_000 })
    expect(retryable(new PlatformError('STORE_UNAVAILABLE', 'down'))).toBe(true)
    expect(retryable(new Error('socket hang up'))).toBe(true)
    expect(retryable(new PlatformError('STORE_AUTH_FAILED', 'bad token'))).toBe(false)
    expect(maxAttempts).toBe(Infinity)
  })

  test('the bridge and the embedded group should retry every failure without end', () => {
    for (const policy of [handOverRetryPolicy, redeliveryPolicy]) {
      expect(policy.retryable(new PlatformError('REGISTRY_INVALID', 'unreadable'))).toBe(true)
      expect(policy.maxAttempts).toBe(Infinity)
    }
  })

  test('deliveries should retry an outcome worth retrying, within the configured budget', () => {
    const policy = deliveryRetryPolicy({ backoffMs: 500, backoffMaxMs: 60_000, maxAttempts: 5 })
    expect(policy.retryable({ result: 'retry', status: 503 })).toBe(true)
    expect(policy.retryable({ result: 'refused', status: 404 })).toBe(false)
    expect(policy.retryable({ result: 'refused', targetRefused: true })).toBe(false)
    expect(policy.maxAttempts).toBe(5)
  })
})

describe('retry', () => {
  const doubling: RetryPolicy = { baseMs: 100, factor: 2, capMs: 1000, jitter: 0, maxAttempts: Infinity, retryable: (e) => !(e instanceof PlatformError && !e.canRetry) }

  /** Fails with the given errors in turn, then answers `done`. */
  function failing(...errors: Error[]): { work: () => Promise<string>; calls: () => number } {
    let calls = 0
    return {
      work: async () => {
        const error = errors[calls++]
        if (error !== undefined) throw error
        return 'done'
      },
      calls: () => calls,
    }
  }

  test('should answer what the work answers once it succeeds, after waiting the computed delays', async () => {
    const { work, calls } = failing(new Error('a'), new Error('b'), new Error('c'), new Error('d'), new Error('e'))
    const waits: number[] = []
    await expect(retry(work, doubling, { wait: async (ms) => void waits.push(ms) })).resolves.toBe('done')
    expect(calls()).toBe(6)
    expect(waits).toEqual([100, 200, 400, 800, 1000])
  })

  test('should not wait when the first attempt succeeds', async () => {
    const wait = vi.fn(async () => undefined)
    await expect(retry(async () => 7, doubling, { wait })).resolves.toBe(7)
    expect(wait).not.toHaveBeenCalled()
  })

  test('should give up at once on a failure that is not retryable', async () => {
    const refused = new PlatformError('STORE_AUTH_FAILED', 'bad token')
    const { work, calls } = failing(new Error('transient'), refused)
    const wait = vi.fn(async () => undefined)
    const onRetry = vi.fn()
    await expect(retry(work, doubling, { wait, onRetry })).rejects.toBe(refused)
    expect(calls()).toBe(2)
    expect(wait).toHaveBeenCalledTimes(1)
    expect(onRetry).toHaveBeenCalledTimes(1)
  })

  test('should throw the last failure once the attempts are spent', async () => {
    const errors = [new Error('1'), new Error('2'), new Error('3'), new Error('4')]
    const { work, calls } = failing(...errors)
    const waits: number[] = []
    await expect(retry(work, { ...doubling, maxAttempts: 3 }, { wait: async (ms) => void waits.push(ms) })).rejects.toBe(errors[2])
    expect(calls()).toBe(3)
    expect(waits).toEqual([100, 200])
  })

  test('a budget of one attempt should never retry', async () => {
    const error = new Error('once')
    const { work, calls } = failing(error)
    const wait = vi.fn(async () => undefined)
    await expect(retry(work, { ...doubling, maxAttempts: 1 }, { wait })).rejects.toBe(error)
    expect(calls()).toBe(1)
    expect(wait).not.toHaveBeenCalled()
  })

  test('should stop with the caller’s error when told not to keep going, before waiting again', async () => {
    const last = new Error('third')
    const { work, calls } = failing(new Error('first'), new Error('second'), last, new Error('fourth'))
    let asked = 0
    const waits: number[] = []
    const stopped = await retry(work, doubling, {
      keepGoing: () => ++asked < 3,
      stopped: (cause) => new PlatformError('SHUTTING_DOWN', 'stopping', {}, { cause }),
      wait: async (ms) => void waits.push(ms),
    }).catch((error: unknown) => error)
    expect(PlatformError.is(stopped, 'SHUTTING_DOWN')).toBe(true)
    expect((stopped as Error).cause).toBe(last)
    expect(calls()).toBe(3)
    expect(waits).toEqual([100, 200])
  })

  test('without a stop error it should throw the failure itself when told to stop', async () => {
    const error = new Error('down')
    await expect(retry(failing(error).work, doubling, { keepGoing: () => false, wait: async () => undefined })).rejects.toBe(error)
  })

  test('should not ask whether to keep going about a failure it would not retry', async () => {
    const refused = new PlatformError('STORE_AUTH_FAILED', 'bad token')
    const keepGoing = vi.fn(() => false)
    await expect(retry(failing(refused).work, doubling, { keepGoing, stopped: () => new Error('stopped') })).rejects.toBe(refused)
    expect(keepGoing).not.toHaveBeenCalled()
  })

  test('should report each retry with its failure, its number and its delay, before the wait', async () => {
    const errors = [new Error('a'), new Error('b')]
    const events: string[] = []
    await retry(failing(...errors).work, doubling, {
      onRetry: (error, attempt, delayMs) => events.push(`retry ${(error as Error).message} ${attempt} ${delayMs}`),
      wait: async (ms) => void events.push(`wait ${ms}`),
    })
    expect(events).toEqual(['retry a 0 100', 'wait 100', 'retry b 1 200', 'wait 200'])
  })

  test('should spread the delays with the random source it is given', async () => {
    const waits: number[] = []
    const draws = [0, 0.5, almostOne]
    await retry(failing(new Error('a'), new Error('b'), new Error('c')).work, { ...doubling, jitter: 0.25 }, { random: () => draws.shift()!, wait: async (ms) => void waits.push(ms) })
    expect(waits[0]).toBe(75)
    expect(waits[1]).toBe(200)
    expect(waits[2]).toBeCloseTo(500, 6)
  })

  describe('with real timers faked', () => {
    afterEach(() => vi.useRealTimers())

    test('should wait on a timer when no wait is given', async () => {
      vi.useFakeTimers()
      const { work, calls } = failing(new Error('a'))
      const result = retry(work, doubling)
      await vi.advanceTimersByTimeAsync(99)
      expect(calls()).toBe(1)
      await vi.advanceTimersByTimeAsync(1)
      await expect(result).resolves.toBe('done')
      expect(calls()).toBe(2)
    })
  })
})

describe('waitInSlices', () => {
  afterEach(() => vi.useRealTimers())

  test('should wait the whole time in slices, calling back after each', async () => {
    vi.useFakeTimers()
    const heartbeats: number[] = []
    const start = Date.now()
    const waiting = waitInSlices(2500, 1000, { after: async () => void heartbeats.push(Date.now() - start) })
    await vi.advanceTimersByTimeAsync(2500)
    await waiting
    expect(heartbeats).toEqual([1000, 2000, 2500])
  })

  test('should stop before the next slice when the check before it throws', async () => {
    vi.useFakeTimers()
    let active = true
    const heartbeat = vi.fn(async () => {
      active = false
    })
    const waiting = waitInSlices(5000, 1000, {
      before: () => {
        if (!active) throw new Error('stopped')
      },
      after: heartbeat,
    }).catch((error: unknown) => error)
    await vi.advanceTimersByTimeAsync(1000)
    expect(((await waiting) as Error).message).toBe('stopped')
    expect(heartbeat).toHaveBeenCalledTimes(1)
  })

  test('should not wait or call back for no time', async () => {
    const before = vi.fn()
    const after = vi.fn(async () => undefined)
    await waitInSlices(0, 1000, { before, after })
    expect(before).not.toHaveBeenCalled()
    expect(after).not.toHaveBeenCalled()
  })
})
