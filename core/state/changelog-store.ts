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
  /** Keys being published by the flush under way. */
  private readonly writing = new Set<string>()
  /** While a `keepLocal` load runs: the keys whose local state wins over what it reads. */
  private touchedDuringLoad: Set<string> | undefined

  constructor(
    private readonly bus: Bus,
    private readonly topic: string,
  ) {}

  /**
   * Reads the topic back into memory. By default it replaces everything in memory, staged changes
   * included: what a processor that failed mid-batch needs, since its states may be ahead of what
   * is durable. With `keepLocal`, the states this instance staged or is writing (before or during
   * the load) win over what the topic held when the load began, and stay staged: for a store
   * written by several tasks at once, where a load must not undo what another task just wrote.
   * With `partitions`, only the states on those partitions of the topic are read and kept: an
   * instance that owns some partitions of its input holds the states of those only (the states
   * are keyed like the input, with as many partitions).
   */
  async load(options: { keepLocal?: boolean; partitions?: readonly number[] } = {}): Promise<number> {
    if (!options.keepLocal) {
      const states = await this.readTopic(options.partitions)
      this.states = states
      this.staged.clear()
      return states.size
    }
    const touched = new Set([...this.staged, ...this.writing])
    this.touchedDuringLoad = touched
    try {
      const states = await this.readTopic(options.partitions)
      for (const key of touched) {
        const local = this.states.get(key)
        if (local !== undefined) states.set(key, local)
        else states.delete(key)
      }
      this.states = states
      return states.size
    } finally {
      this.touchedDuringLoad = undefined
    }
  }

  private async readTopic(partitions?: readonly number[]): Promise<Map<string, State>> {
    const states = new Map<string, State>()
    for (const record of await this.bus.readAll(this.topic, partitions === undefined ? {} : { partitions })) {
      // An empty value was how a deletion was written before tombstones.
      if (record.tombstone || record.value.length === 0) states.delete(record.key)
      else states.set(record.key, JSON.parse(record.value.toString('utf8')) as State)
    }
    return states
  }

  get(deviceId: string): State | undefined {
    return this.states.get(deviceId)
  }

  /** Every state in memory, e.g. for a periodic sweep. */
  entries(): [string, State][] {
    return [...this.states]
  }

  /** Stages the deletion of a key: the next flush writes a tombstone, and compaction removes the key from the topic. */
  delete(key: string): void {
    this.states.delete(key)
    this.staged.add(key)
    this.touchedDuringLoad?.add(key)
  }

  stage(deviceId: string, state: State): void {
    this.states.set(deviceId, state)
    this.staged.add(deviceId)
    this.touchedDuringLoad?.add(deviceId)
  }

  /**
   * Writes what is staged. Flushes run one after the other, each writing what is staged when its
   * turn comes, so a caller's flush resolves only once the keys it staged before calling are
   * written, even when several callers flush at once; a failed flush stages its keys again.
   * `publish` writes them another way than straight to the bus: a batch handler's context, so
   * that they commit with its outputs and offsets, or a fenced writer. With `keys`, only those of
   * the staged keys are written (the others stay staged): for keys that go through different
   * writers.
   */
  flush(publish?: (records: readonly OutgoingRecord[]) => void | Promise<void>, keys?: ReadonlySet<string>): Promise<void> {
    const turn = this.flushing.then(() => this.flushStaged(publish ?? ((records) => this.bus.publish(records)), keys))
    this.flushing = turn.catch(() => undefined)
    return turn
  }

  /**
   * Unstages `keys` without writing them, for a writer that may no longer write them (fenced):
   * their states here are stale, and the next load takes what the topic holds.
   */
  discard(keys: Iterable<string>): void {
    for (const key of keys) {
      this.staged.delete(key)
      this.touchedDuringLoad?.delete(key)
    }
  }

  private async flushStaged(publish: (records: readonly OutgoingRecord[]) => void | Promise<void>, keys?: ReadonlySet<string>): Promise<void> {
    const ids = keys === undefined ? [...this.staged] : [...this.staged].filter((key) => keys.has(key))
    if (ids.length === 0) return
    for (const id of ids) this.staged.delete(id)
    const records: OutgoingRecord[] = ids.map((id) => {
      const state = this.states.get(id)
      return state === undefined ? { topic: this.topic, key: id, value: Buffer.alloc(0), headers: {}, tombstone: true } : { topic: this.topic, key: id, value: Buffer.from(JSON.stringify(state)), headers: {} }
    })
    for (const id of ids) this.writing.add(id)
    try {
      await publish(records)
    } catch (error) {
      for (const id of ids) this.staged.add(id)
      throw error
    } finally {
      for (const id of ids) this.writing.delete(id)
    }
  }
}
