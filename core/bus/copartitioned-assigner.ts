import type { GroupPartitionsAssigner } from '@platformatic/kafka'

/**
 * Which partitions each member gets when partition number p of every topic goes to the same
 * member. Records with the same key land on the same partition number in topics with the same
 * partition count (the default partitioner hashes the key), so one member sees all of a key's
 * records, whichever topic carries them: what a processor keeping per-key state across several
 * input topics needs. Kafka's own assignors spread each topic on its own and give no such promise.
 */
export function copartitionedAssignment(memberIds: readonly string[], partitionsByTopic: Readonly<Record<string, readonly number[]>>): Map<string, Record<string, number[]>> {
  const members = [...memberIds].sort()
  const assignment = new Map<string, Record<string, number[]>>(members.map((m) => [m, {}]))
  if (members.length === 0) return assignment
  for (const [topic, partitions] of Object.entries(partitionsByTopic)) {
    for (const partition of [...partitions].sort((a, b) => a - b)) {
      const member = assignment.get(members[partition % members.length]!)!
      ;(member[topic] ??= []).push(partition)
    }
  }
  return assignment
}

/** The protocol name every member of a copartitioned group announces. */
export const copartitionedProtocol = 'CircularCopartitionedAssigner'

/** `copartitionedAssignment` as the Kafka client's assignor; every member of a group must use it. */
export const copartitionedAssigner: GroupPartitionsAssigner = (_current, members, topics, metadata) => {
  const partitionsByTopic = Object.fromEntries([...topics].map((topic) => [topic, Array.from({ length: metadata.topics.get(topic)?.partitionsCount ?? 0 }, (_, i) => i)]))
  return [...copartitionedAssignment([...members.keys()], partitionsByTopic)].map(([memberId, byTopic]) => ({
    memberId,
    assignments: new Map(Object.entries(byTopic).map(([topic, partitions]) => [topic, { topic, partitions }])),
  }))
}
