import type { Client, PublishPacket } from 'aedes'

/** What became of one copy of a PUBLISH: handed over to the bus, or a repeat of a copy that was. */
export type HandOverOutcome = 'handed' | 'repeat'

/**
 * Hands each inbound PUBLISH over once while its packet id is in flight in the session. MQTT 3.1.1
 * asks it of QoS 2 (MQTT-4.3.3-2: until PUBREL, a PUBLISH with the same packet id is the same
 * message, to be acknowledged and not delivered again), and a QoS 1 copy re-sent with DUP while
 * the first still waits for its PUBACK is the same message too. aedes drops a repeated QoS 2 copy
 * itself, but only after the publish was authorised, which is where the broker hands it to the
 * bus (so that the acknowledgement waits for the bus); so repeats are caught here: while a copy
 * is being handed over, by that hand-over, which the repeat waits for; after that, for QoS 2, by
 * aedes' set of packet ids awaiting PUBREL. aedes fills that set in the microtasks that follow the
 * first copy's authorisation, so before the socket's next read, and empties it at PUBREL.
 */
export class InboundPublishes {
  private readonly handing = new WeakMap<Client, Map<number, Promise<void>>>()

  async handOverOnce(client: Client, packet: PublishPacket, handOver: () => Promise<void>): Promise<HandOverOutcome> {
    const id = packet.messageId
    if (packet.qos === 0 || id === undefined) {
      await handOver()
      return 'handed'
    }
    let pending = this.handing.get(client)
    if (!pending) this.handing.set(client, (pending = new Map<number, Promise<void>>()))
    const earlier = pending.get(id)
    if (earlier) {
      // A failed first copy fails its repeats too: the connection closes, and the device sends the message again.
      await earlier
      return 'repeat'
    }
    if (packet.qos === 2 && awaitingRelease(client).has(id)) return 'repeat'
    const handing = handOver()
    pending.set(id, handing)
    try {
      await handing
      return 'handed'
    } finally {
      if (pending.get(id) === handing) pending.delete(id)
    }
  }
}

/** aedes' QoS 2 packet ids received and not yet released by PUBREL (`Client._inboundInflight`, aedes 1.x). */
function awaitingRelease(client: Client): ReadonlySet<number> {
  const inflight = (client as unknown as { _inboundInflight?: unknown })._inboundInflight
  return inflight instanceof Set ? (inflight as Set<number>) : new Set()
}
