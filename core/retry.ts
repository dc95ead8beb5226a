/**
 * Retry with capped exponential backoff: the policy as data, its delays as a pure function, and a
 * runner for callers that retry in a loop. Own code rather than p-retry, cockatiel or
 * exponential-backoff: those own the loop and the timer, while the callers here must heartbeat
 * while they wait, schedule a redelivery on a timer, or keep the attempt budget in a persisted
 * outbox across restarts; and none of them jitters around the capped delay (±25 %, ±50 %) as the
 * sink's and the notifier's policies do.
 */

/** How a caller retries. `F` is what a failure is: a thrown error, or an outcome the caller reads. */
export interface RetryPolicy<F = unknown> {
  /** The delay after the first failure, in ms. */
  readonly baseMs: number
  /** How much the delay grows per failure. */
  readonly factor: number
  /** No delay (before jitter) is longer than this, in ms. */
  readonly capMs: number
  /** Spread around the capped delay as a fraction: 0.25 waits between 75 % and 125 % of it; 0 waits it exactly. */
  readonly jitter: number
  /** The exponent stops growing here; unset, it grows with every failure. */
  readonly maxExponent?: number
  /** Attempts in all, the first included; `Infinity` retries until the caller stops. */
  readonly maxAttempts: number
  /** Whether this failure is worth another attempt; one that is not ends the retries at once. */
  readonly retryable: (failure: F) => boolean
}

/**
 * The wait after failure number `attempt` (0 for the first): `min(cap, base · factor^attempt)`,
 * spread by the jitter. `random` is the source of the spread, in [0, 1).
 */
export function retryDelay<F>(policy: RetryPolicy<F>, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.min(attempt, policy.maxExponent ?? Infinity)
  const capped = Math.min(policy.capMs, policy.baseMs * policy.factor ** exponent)
  return policy.jitter === 0 ? capped : capped * (1 - policy.jitter + random() * 2 * policy.jitter)
}

export interface RetryHooks {
  /** Waits out a delay; a plain timer unless the caller must keep being heard meanwhile. */
  readonly wait?: (ms: number) => Promise<void>
  /** Asked after each retryable failure, before waiting: false ends the retries with `stopped`. */
  readonly keepGoing?: () => boolean
  /** What is thrown when `keepGoing` says no; the failure itself unless given. */
  readonly stopped?: (error: unknown) => unknown
  /** Called before each wait, for counters and logs; `attempt` is 0 for the first failure. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  readonly random?: () => number
}

/**
 * Runs `work` until it succeeds. A failure that is not retryable, or the last one of the budget,
 * is thrown as it is; when `keepGoing` says no, `stopped` is thrown instead.
 */
export async function retry<T>(work: () => Promise<T>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  const wait = hooks.wait ?? sleep
  for (let attempt = 0; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (!policy.retryable(error) || attempt + 1 >= policy.maxAttempts) throw error
      if (hooks.keepGoing && !hooks.keepGoing()) throw hooks.stopped ? hooks.stopped(error) : error
      const delay = retryDelay(policy, attempt, hooks.random)
      hooks.onRetry?.(error, attempt, delay)
      await wait(delay)
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Waits `ms` in slices of at most `sliceMs`, so that a consumer can heartbeat (`after` each slice)
 * or notice it should stop (`before` each slice, by throwing) during a long wait.
 */
export async function waitInSlices(ms: number, sliceMs: number, each: { before?: () => void; after?: () => Promise<void> }): Promise<void> {
  for (let waited = 0; waited < ms; waited += sliceMs) {
    each.before?.()
    await sleep(Math.min(sliceMs, ms - waited))
    await each.after?.()
  }
}
