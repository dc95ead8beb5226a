// aedes-persistence-redis ships no types; this is the part of its promise API the broker uses.
declare module 'aedes-persistence-redis/asyncPersistence.js' {
  import type { PublishPacket } from 'aedes'
  interface RedisPersistenceOptions {
    /** A connection of the caller's own (ioredis). */
    readonly conn?: unknown
    /** Seconds a queued message for an offline client is kept; 0 keeps it for good. */
    readonly packetTTL?: (packet: PublishPacket) => number
    readonly maxSessionDelivery?: number
  }
  export default class AsyncRedisPersistence {
    constructor(options?: RedisPersistenceOptions)
    setup(broker: unknown): Promise<void>
    createRetainedStreamCombi(patterns: readonly string[]): AsyncIterable<unknown>
    destroy(): Promise<void>
  }
}
