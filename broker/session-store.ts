import { Readable } from 'node:stream'
import type { AedesOptions, PublishPacket } from 'aedes'
import type { EventEmitter } from 'node:events'
import type { Config } from '../core/config.js'
import type { Logger } from '../core/logger.js'

/** What aedes is given to keep sessions in, and how to let go of it once the broker is closed. */
export interface SessionBackends {
  readonly options: Pick<AedesOptions, 'persistence' | 'mq'>
  /** `memory` (this process only) or `redis` (shared, surviving restarts). */
  readonly kind: 'memory' | 'redis'
  close(): Promise<void>
}

/**
 * Where the broker keeps MQTT sessions: the subscriptions of clients that connect with clean
 * session false, their queued QoS 1 and 2 messages, retained messages and wills. In memory by
 * default, lost when the broker stops, one instance only. With `MQTT_SESSION_STORE=redis`
 * (aedes-persistence-redis for the sessions, mqemitter-redis for the messages between instances),
 * several broker instances share them and a restart keeps them: a message queued for an offline
 * device reaches it on whichever instance it connects to. A queued message lives until the
 * command it carries expires (the platform's topics say when), else `MQTT_SESSION_MESSAGE_TTL_S`.
 */
export async function sessionBackends(config: Config, logger: Logger): Promise<SessionBackends> {
  const store = config.mqtt.sessionStore
  if (store.kind === 'memory') return { options: {}, kind: 'memory', close: async () => undefined }
  const [{ default: RedisPersistence }, { default: redisEmitter }, { Redis }] = await Promise.all([import('aedes-persistence-redis/asyncPersistence.js'), import('mqemitter-redis'), import('ioredis')])
  // aedes 1.x pipes the retained messages a SUBSCRIBE matches; this persistence yields them as an async iterable.
  class RedisSessions extends RedisPersistence {
    override createRetainedStreamCombi(patterns: readonly string[]): Readable {
      return Readable.from(super.createRetainedStreamCombi(patterns))
    }
  }
  // Our own connections (TLS for rediss://), each reporting its errors: an unheard one would end the process.
  const connections = ['sessions', 'messages-out', 'messages-in'].map((role) => {
    const connection = new Redis(store.url, { lazyConnect: false })
    connection.on('error', (error: Error) => logger.error({ err: error, role }, 'Redis session store connection failed; retrying'))
    return connection
  })
  const [conn, pubConn, subConn] = connections as [InstanceType<typeof Redis>, InstanceType<typeof Redis>, InstanceType<typeof Redis>]
  const persistence = new RedisSessions({ conn, packetTTL: (packet: PublishPacket) => messageTtlSeconds(packet, store.messageTtlSeconds, Date.now()) })
  const mq = redisEmitter({ pubConn, subConn }) as unknown as { state: EventEmitter }
  mq.state.on('error', (error: Error) => logger.error({ err: error }, 'Redis message exchange between broker instances failed'))
  return {
    // aedes types both as `any`; these are the backends its README names.
    options: { persistence: persistence satisfies object, mq: mq satisfies object },
    kind: 'redis',
    close: async () => {
      await Promise.race([persistence.destroy(), new Promise((resolve) => setTimeout(resolve, 2000))])
      // Whatever is still open (Redis unreachable while closing) is cut.
      for (const connection of connections) connection.disconnect()
    },
  }
}

/** Seconds a queued message is kept: until the expiry a command on the platform's topics carries, else the default. */
export function messageTtlSeconds(packet: Pick<PublishPacket, 'payload'>, defaultSeconds: number, now: number): number {
  try {
    const text = typeof packet.payload === 'string' ? packet.payload : packet.payload.toString('utf8')
    const expiresAt = Date.parse((JSON.parse(text) as { expiresAt?: unknown }).expiresAt as string)
    if (Number.isFinite(expiresAt)) return Math.max(1, Math.ceil((expiresAt - now) / 1000))
  } catch {
    // Not a command of the platform's scheme.
  }
  return defaultSeconds
}
