import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

/** Where deploy/local/services.sh keeps the local Kafka's log. */
const logDir = join(process.env.CIRCULAR_STATE_DIR ?? join(process.cwd(), '.local'), 'kafka', 'logs')

/**
 * The generations a consumer group went through, as the Kafka broker's group coordinator logged
 * them ("Stabilized group <id> generation <n>"): the broker's own account of every rebalance,
 * independent of the client under test.
 */
export function groupGenerations(groupId: string): number[] {
  if (!existsSync(logDir)) throw new Error(`no Kafka log at ${logDir}: is the local Kafka of deploy/local/services.sh running?`)
  const pattern = new RegExp(`Stabilized group ${groupId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} generation (\\d+)`, 'g')
  const generations = new Set<number>()
  // The current file and those rolled over from it.
  for (const name of readdirSync(logDir).filter((n) => n.startsWith('server.log'))) {
    for (const match of readFileSync(join(logDir, name), 'utf8').matchAll(pattern)) generations.add(Number(match[1]))
  }
  return [...generations].sort((a, b) => a - b)
}
