import { Kafka, logLevel, type Admin } from 'kafkajs'

/** Reads what the benchmark needs from Kafka: topic end offsets and consumer group progress. */
export class KafkaWatch {
  private readonly admin: Admin

  constructor(brokers: readonly string[], clientId: string) {
    this.admin = new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING }).admin()
  }

  connect(): Promise<void> {
    return this.admin.connect()
  }

  /** Records ever written to the topic: the sum of its partitions' end offsets. */
  async records(topic: string): Promise<number> {
    const offsets = await this.admin.fetchTopicOffsets(topic)
    return offsets.reduce((sum, p) => sum + Number(p.high), 0)
  }

  /** Records of the topic the group has committed (handled and passed on), summed over partitions. */
  async committed(groupId: string, topic: string): Promise<number> {
    const [entry] = await this.admin.fetchOffsets({ groupId, topics: [topic] })
    return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
  }

  /** Deletes the topics and consumer groups whose names start with `prefix`. */
  async deleteAll(topicPrefix: string, groupPrefix: string): Promise<{ topics: string[]; groups: string[] }> {
    const topics = (await this.admin.listTopics()).filter((t) => t.startsWith(topicPrefix))
    // An interrupted run may be deleting the same topics from two places at once; what is gone is gone.
    if (topics.length > 0) await this.admin.deleteTopics({ topics, timeout: 30_000 }).catch(() => undefined)
    const groups = (await this.admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(groupPrefix))
    // A group is refused while it has members; one that died without leaving counts until its
    // session times out (10 s for the run's processes), so keep trying a little longer than that.
    for (let attempt = 0, left = groups; left.length > 0 && attempt < 15; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 1000))
      const results = await this.admin.deleteGroups(left).catch((error: { groups?: { groupId: string; errorCode: number }[] }) => error.groups ?? [])
      left = results.filter((r) => r.errorCode !== 0).map((r) => r.groupId)
    }
    return { topics, groups }
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect()
  }
}
