import type { Logger } from '../../core/logger.js'
import { retryDelay, type RetryPolicy } from '../../core/retry.js'

/** What the work on one key says: done with it, or not this instance's to do any more. */
export type WorkOutcome = 'done' | 'dropped'

/**
 * One first-in, first-out queue of keys per receiver, each with a worker of its own: a receiver
 * that fails or hangs holds back only its own queue, never another receiver's or another
 * tenant's. The keys name durable entries (the notifier's outbox); the queues only say what to
 * work on next, so losing them loses nothing. Work that throws stays at the head of its queue and
 * is tried again after a back-off (the outbox or the bus being down, not the receiver).
 */
export class DeliveryQueues {
  private readonly queues = new Map<string, { keys: string[]; running?: Promise<void> }>()
  private readonly queued = new Set<string>()
  private stopping = false

  constructor(
    private readonly work: (key: string) => Promise<WorkOutcome>,
    private readonly logger: Logger,
    private readonly backoff: RetryPolicy = { baseMs: 500, factor: 2, capMs: 30_000, jitter: 0.25, maxAttempts: Infinity, retryable: () => true },
  ) {}

  /** Adds `key` at the end of `queue`, unless it is queued already; its worker starts if idle. */
  enqueue(queue: string, key: string): void {
    if (this.stopping || this.queued.has(key)) return
    let q = this.queues.get(queue)
    if (!q) this.queues.set(queue, (q = { keys: [] }))
    q.keys.push(key)
    this.queued.add(key)
    q.running ??= this.run(queue, q).finally(() => (q.running = undefined))
  }

  /** Keys waiting or being worked on, per queue. */
  depths(): Map<string, number> {
    return new Map([...this.queues].map(([id, q]) => [id, q.keys.length]))
  }

  /** Resolves once every queue is empty and no work is running (or the queues stopped). */
  async settled(): Promise<void> {
    for (;;) {
      const running = [...this.queues.values()].flatMap((q) => (q.running ? [q.running] : []))
      if (running.length === 0) return
      await Promise.all(running)
    }
  }

  /** Takes no more keys and waits for the work in hand; what was queued stays in the outbox. */
  async stop(): Promise<void> {
    this.stopping = true
    await this.settled()
  }

  get stopped(): boolean {
    return this.stopping
  }

  private async run(queueId: string, q: { keys: string[] }): Promise<void> {
    let failures = 0
    while (q.keys.length > 0 && !this.stopping) {
      const key = q.keys[0]!
      try {
        await this.work(key)
        failures = 0
      } catch (error) {
        if (this.stopping) break
        const delayMs = retryDelay(this.backoff, failures++)
        this.logger.warn({ err: error, queue: queueId, key, delayMs }, 'delivery work failed; trying the same entry again')
        await new Promise((resolve) => setTimeout(resolve, delayMs))
        continue
      }
      q.keys.shift()
      this.queued.delete(key)
    }
    if (this.stopping) {
      for (const key of q.keys) this.queued.delete(key)
      q.keys.length = 0
    }
    if (q.keys.length === 0) this.queues.delete(queueId)
  }
}
