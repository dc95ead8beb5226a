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

  async flush(): Promise<void> {
    if (this.staged.size === 0) return
    const records: OutgoingRecord[] = [...this.staged].map((id) => ({ topic: this.topic, key: id, value: Buffer.from(JSON.stringify(this.states.get(id))), headers: {} }))
    await this.bus.publish(records)
    this.staged.clear()
  }
}
