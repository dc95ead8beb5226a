import { Admin } from '@platformatic/kafka'

/** Reads what the benchmark needs from Kafka: topic end offsets and consumer group progress. */
export class KafkaWatch {
  private readonly admin: Admin

  constructor(brokers: readonly string[], clientId: string) {
    this.admin = new Admin({ clientId, bootstrapBrokers: [...brokers], retries: 3 })
  }

  /** Connections open on first use; kept for the callers' connect-then-use order. */
  async connect(): Promise<void> {
    await this.admin.metadata({ topics: [] })
  }

  /** Records ever written to the topic: the sum of its partitions' end offsets. */
  async records(topic: string): Promise<number> {
    const ends = await this.offsets(topic, -1n)
    return ends.reduce((sum, p) => sum + Number(p.offset), 0)
  }

  /** Records of the topic the group has committed (handled and passed on), summed over partitions. */
  async committed(groupId: string, topic: string): Promise<number> {
    const partitionIndexes = await this.partitions(topic)
    const [group] = await this.admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes }] }] })
    return (group?.topics[0]?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.committedOffset)), 0)
  }

  /** Deletes the topics and consumer groups whose names start with `prefix`. */
  async deleteAll(topicPrefix: string, groupPrefix: string): Promise<{ topics: string[]; groups: string[] }> {
    const topics = (await this.admin.listTopics()).filter((t) => t.startsWith(topicPrefix))
    // An interrupted run may be deleting the same topics from two places at once; what is gone is gone.
    if (topics.length > 0) await this.admin.deleteTopics({ topics }).catch(() => undefined)
    const groups = [...(await this.admin.listGroups()).keys()].filter((g) => g.startsWith(groupPrefix))
    // A group is refused while it has members; one that died without leaving counts until its
    // session times out (10 s for the run's processes), so keep trying a little longer than that.
    let left = groups
    for (let attempt = 0; left.length > 0 && attempt < 15; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 1000))
      const failed: string[] = []
      for (const group of left) await this.admin.deleteGroups({ groups: [group] }).catch(() => failed.push(group))
      left = failed
    }
    return { topics, groups }
  }

  async disconnect(): Promise<void> {
    await this.admin.close()
  }

  private async partitions(topic: string): Promise<number[]> {
    const metadata = await this.admin.metadata({ topics: [topic], forceUpdate: true })
    return Array.from({ length: metadata.topics.get(topic)?.partitionsCount ?? 0 }, (_, i) => i)
  }

  private async offsets(topic: string, timestamp: bigint): Promise<{ partition: number; offset: bigint }[]> {
    const partitions = await this.partitions(topic)
    const [listed] = await this.admin.listOffsets({ topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) }] })
    return (listed?.partitions ?? []).map((p) => ({ partition: p.partitionIndex, offset: p.offset }))
  }
}
