import type { BatchContext, Bus, OutgoingRecord } from './bus.js'

/**
 * Publishes a batch handler's outputs: with the batch's commit where the handler runs under a
 * consumption (see BatchContext.publish), straight to the bus where it is called outside one.
 */
export async function publishFromBatch(bus: Bus, context: BatchContext | undefined, records: readonly OutgoingRecord[]): Promise<void> {
  if (context) context.publish(records)
  else await bus.publish(records)
}
