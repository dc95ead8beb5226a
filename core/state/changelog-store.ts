import type { Bus, OutgoingRecord } from '../bus/bus.js'

/**
 * Per-key states of a processor (one per device, site or outbox entry) kept in memory and backed
 * by a compacted bus topic (one record per key, the newest wins). Changes are staged while a
 * batch is handled and written in one go after its outputs are durable; loading reads the topic
 * back from its beginning.
 */
export class ChangelogStore<State> {
  private states = new Map<string, State>()
  private staged = new Set<string>()
  private flushing: Promise<void> = Promise.resolve()

  constructor(
    private readonly bus: Bus,
    private readonly topic: string,
  ) {}

  async load(): Promise<number> {
    const states = new Map<string, State>()
    for (const record of await this.bus.readAll(this.topic)) {
      if (record.value.length === 0) states.delete(record.key)
      else states.set(record.key, JSON.parse(record.value.toString('utf8')) as State)
    }
    this.states = states
    this.staged.clear()
    return states.size
  }

  get(deviceId: string): State | undefined {
    return this.states.get(deviceId)
  }

  /** Every state in memory, e.g. for a periodic sweep. */
  entries(): [string, State][] {
    return [...this.states]
  }

  stage(deviceId: string, state: State): void {
    this.states.set(deviceId, state)
    this.staged.add(deviceId)
  }

  /**
   * Writes what is staged. Flushes run one after the other, each writing what is staged when its
   * turn comes, so a caller's flush resolves only once the keys it staged before calling are
   * written, even when several callers flush at once; a failed flush stages its keys again.
   */
  flush(): Promise<void> {
    const turn = this.flushing.then(() => this.flushStaged())
    this.flushing = turn.catch(() => undefined)
    return turn
  }

  private async flushStaged(): Promise<void> {
    if (this.staged.size === 0) return
    const ids = [...this.staged]
    this.staged.clear()
    const records: OutgoingRecord[] = ids.map((id) => ({ topic: this.topic, key: id, value: Buffer.from(JSON.stringify(this.states.get(id))), headers: {} }))
    try {
      await this.bus.publish(records)
    } catch (error) {
      for (const id of ids) this.staged.add(id)
      throw error
    }
  }
}
