import { Admin } from '@platformatic/kafka'

/**
 * A Kafka admin client for a test's own checks and clean-up (topics, offsets, groups), beside the
 * bus under test, so that what the test sees does not depend on the code it tests.
 */
export async function withKafkaAdmin<T>(brokers: readonly string[], work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [...brokers], retries: 3 })
  try {
    return await work(admin)
  } finally {
    await admin.close().catch(() => undefined)
  }
}

/** Records ever written to the topic: the sum of its partitions' end offsets. */
export async function recordsWritten(admin: Admin, topic: string): Promise<number> {
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
  const partitions = Array.from({ length: metadata.topics.get(topic)?.partitionsCount ?? 0 }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n }))
  const [listed] = await admin.listOffsets({ topics: [{ name: topic, partitions }] })
  return (listed?.partitions ?? []).reduce((sum, p) => sum + Number(p.offset), 0)
}

/** Deletes every topic whose name starts with `prefix`. */
export async function deleteTopicsStartingWith(brokers: readonly string[], prefix: string): Promise<void> {
  await withKafkaAdmin(brokers, async (admin) => {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix))
    if (topics.length > 0) await admin.deleteTopics({ topics })
  })
}
