/**
 * Wakes consumers waiting for work: a publish, a finished batch, a new assignment or an expired
 * backoff notifies, and every waiter looks for work again at once. No polling interval, so a
 * record reaches its consumer as soon as its transaction has committed.
 */
export class WakeSignal {
  private waiters: (() => void)[] = []

  /**
   * Resolves at the next `notify`. Call it in the same synchronous step as the check that found
   * no work, so that no notification can slip in between.
   */
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  notify(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const wake of waiters) wake()
  }
}
