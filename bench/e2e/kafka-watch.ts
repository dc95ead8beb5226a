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
    if (topics.length > 0) await this.admin.deleteTopics({ topics, timeout: 30_000 })
    const groups = (await this.admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(groupPrefix))
    if (groups.length > 0) await this.admin.deleteGroups(groups).catch(() => undefined)
    return { topics, groups }
  }

  disconnect(): Promise<void> {
    return this.admin.disconnect()
  }
}
