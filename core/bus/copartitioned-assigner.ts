import { AssignerProtocol, type PartitionAssigner } from 'kafkajs'

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

/** The kafkajs assignor for `copartitionedAssignment`; every member of a group must use it. */
export const copartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'CircularCopartitionedAssigner',
  version: 0,
  async assign({ members, topics }) {
    const partitionsByTopic = Object.fromEntries(topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId)]))
    const assignment = copartitionedAssignment(
      members.map((m) => m.memberId),
      partitionsByTopic,
    )
    return [...assignment].map(([memberId, topicsOfMember]) => ({ memberId, memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: topicsOfMember, userData: Buffer.alloc(0) }) }))
  },
  protocol({ topics }) {
    return { name: 'CircularCopartitionedAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) }
  },
})
