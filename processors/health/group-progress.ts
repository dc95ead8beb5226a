import type { Bus } from '../../core/bus/bus.js'
import type { Logger } from '../../core/logger.js'
import type { WatchedGroup } from './consumer-groups.js'

/** A consumer group with records waiting that has not moved for a while. */
export interface GroupStall {
  readonly group: string
  /** Records waiting, over all its partitions. */
  readonly lag: number
  /** Since when its position has not grown, ms since epoch. */
  readonly since: number
  readonly stalledForMs: number
}

interface Seen {
  position: number
  /** When its position last grew, or when waiting records were first seen without it growing. */
  movedAt: number
  lag: number
  reported: boolean
}

/**
 * Watches the pipeline's consumer groups: a group whose position (the sum over its partitions)
 * has not grown for `stallAfterMs` while records wait for it is stalled. That is what a city sees
 * when a processor is down, stuck in a rebalance or failing on every batch. Logs when a group
 * stalls and when it moves again; `/health` reports the stalls.
 */
export class GroupProgressWatch {
  private readonly seen = new Map<string, Seen>()
  private timer: NodeJS.Timeout | undefined
  private sampling: Promise<void> | undefined

  constructor(
    private readonly bus: Bus,
    private readonly groups: readonly WatchedGroup[],
    private readonly options: { readonly intervalMs: number; readonly stallAfterMs: number },
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (!this.bus.lag || this.timer) return
    this.timer = setInterval(() => {
      this.sampling ??= this.sample().finally(() => (this.sampling = undefined))
    }, this.options.intervalMs)
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.sampling
  }

  /** Asks the bus once for every group's lag and position (the timer does this every interval). */
  async sample(): Promise<void> {
    if (!this.bus.lag) return
    for (const { groupId, topics } of this.groups) {
      try {
        const partitions = await this.bus.lag(groupId, topics)
        this.observe(groupId, partitions.reduce((sum, p) => sum + p.position, 0), partitions.reduce((sum, p) => sum + p.lag, 0))
      } catch (error) {
        this.logger.debug({ err: error, group: groupId }, 'consumer lag unavailable for the progress watch')
      }
    }
  }

  /** One observation of a group: its position and the records waiting. */
  observe(group: string, position: number, lag: number): void {
    const now = this.now()
    const before = this.seen.get(group)
    if (!before || position > before.position || lag === 0) {
      if (before?.reported) this.logger.info({ group, stalledForMs: now - before.movedAt }, 'consumer group making progress again')
      this.seen.set(group, { position, movedAt: now, lag, reported: false })
      return
    }
    before.lag = lag
    if (!before.reported && now - before.movedAt >= this.options.stallAfterMs) {
      before.reported = true
      this.logger.warn({ group, lag, stalledForMs: now - before.movedAt }, 'consumer group makes no progress while records wait for it')
    }
  }

  /** The groups stalled now. */
  stalls(): GroupStall[] {
    const now = this.now()
    return [...this.seen]
      .filter(([, s]) => s.lag > 0 && now - s.movedAt >= this.options.stallAfterMs)
      .map(([group, s]) => ({ group, lag: s.lag, since: s.movedAt, stalledForMs: now - s.movedAt }))
  }
}
