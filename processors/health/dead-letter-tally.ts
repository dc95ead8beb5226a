import type { Bus, Consumption, IncomingRecord } from '../../core/bus/bus.js'
import { header } from '../../core/bus/topics.js'
import type { Config } from '../../core/config.js'
import { Counters } from '../../core/counters.js'

/** Counter names of the tally are `<stage>/<code>`: which component refused a record, and why. */
export const tallySeparator = '/'

/**
 * Counts the dead-letter topic by stage and reason code, from the headers every dead letter
 * carries (`dlq-stage`, `dlq-code`), in the health consumer group: the per-component counters
 * know how many records were refused, this knows why. Counting is in memory like every other
 * counter: a crash loses at most the increments since the last report, never a dead letter itself.
 */
export class DeadLetterTally {
  readonly counters = new Counters<string>('dead-letters', [])

  constructor(private readonly deps: { config: Config; bus: Bus }) {}

  start(): Promise<Consumption> {
    const { config, bus } = this.deps
    return bus.consume({ groupId: healthGroup(config), topics: [config.bus.topics.deadLetter], handleBatch: async (records) => this.count(records) })
  }

  count(records: readonly IncomingRecord[]): void {
    for (const r of records) this.counters.add(`${r.headers[header.dlqStage] ?? 'unknown'}${tallySeparator}${r.headers[header.dlqCode] ?? 'unknown'}`)
  }
}

export function healthGroup(config: Config): string {
  return `${config.bus.groupPrefix}-health`
}
