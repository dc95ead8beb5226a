interface Pending<T> {
  readonly items: readonly T[]
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

export interface BatcherOptions {
  /** Flush as soon as this many items wait. */
  readonly maxItems: number
  /** Flush at the latest this long after the first item arrived (0 = on the next tick). */
  readonly lingerMs: number
}

/**
 * Gathers items from many callers into one send, so thousands of single-record publishes cost a
 * handful of Kafka requests. One send is in flight at a time, which keeps records of one key in
 * order; each caller's promise settles with the send that carried its items.
 */
export class Batcher<T> {
  private queue: Pending<T>[] = []
  private queuedItems = 0
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<void> | undefined

  constructor(
    private readonly send: (items: T[]) => Promise<void>,
    private readonly options: BatcherOptions,
  ) {}

  add(items: readonly T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items, resolve, reject })
      this.queuedItems += items.length
      this.schedule()
    })
  }

  /** Settles once everything queued so far has been sent (or failed). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight) {
      if (this.inFlight) await this.inFlight.catch(() => undefined)
      else this.flush()
    }
  }

  private schedule(): void {
    if (this.inFlight) return
    if (this.queuedItems >= this.options.maxItems) {
      this.flush()
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.options.lingerMs)
    }
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    if (this.inFlight || this.queue.length === 0) return
    const batch = this.takeBatch()
    const items = batch.flatMap((p) => p.items)
    this.inFlight = this.send(items).then(
      () => batch.forEach((p) => p.resolve()),
      (error: unknown) => batch.forEach((p) => p.reject(error)),
    ).finally(() => {
      this.inFlight = undefined
      // What queued up meanwhile has waited long enough: send it at once.
      if (this.queue.length > 0) this.flush()
    })
  }

  /** Takes whole callers' item lists until the batch is full; one caller's items are never split. */
  private takeBatch(): Pending<T>[] {
    const batch: Pending<T>[] = []
    let count = 0
    while (this.queue.length > 0 && (count === 0 || count + this.queue[0]!.items.length <= this.options.maxItems)) {
      const next = this.queue.shift()!
      count += next.items.length
      batch.push(next)
    }
    this.queuedItems -= count
    return batch
  }
}
