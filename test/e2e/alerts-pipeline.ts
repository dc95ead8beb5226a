import { randomBytes } from 'node:crypto'
import type { Platform, Started } from '../../cli/components.js'
import { InfluxSink } from '../../processors/influx-sink.js'
import { Normaliser } from '../../processors/normaliser.js'
import { testLogger } from '../support/pipeline.js'

/**
 * The normaliser and the sink on consumer groups of their own. The components' default groups are
 * shared by every test run on the machine, and when runs overlap, Kafka's assignor may hand this
 * run's partitions to a member of another run that is not subscribed to them.
 */
export async function startOwnGroups(platform: Platform, parts: readonly ('normaliser' | 'sink')[]): Promise<Started[]> {
  const id = randomBytes(4).toString('hex')
  const started: Started[] = []
  for (const part of parts) {
    if (part === 'normaliser') {
      const normaliser = new Normaliser({ config: platform.config, bus: platform.bus, registry: platform.registry, logger: testLogger })
      const consumption = await normaliser.start(`test.${id}.normaliser`)
      started.push({ name: 'normaliser', stop: () => consumption.stop() })
    } else {
      const sink = new InfluxSink({ config: platform.config, bus: platform.bus, store: platform.store, logger: testLogger })
      const consumption = await sink.start(`test.${id}.sink`)
      started.push({ name: 'influx-sink', stop: () => consumption.stop() })
    }
  }
  return started
}
