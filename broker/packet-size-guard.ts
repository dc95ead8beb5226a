import type { Duplex } from 'node:stream'

/**
 * Follows the MQTT framing of a byte stream (MQTT 3.1.1 §2.2: one type byte, then the remaining
 * length in 1–4 bytes of 7 bits each, then that many bytes) without parsing the packets, so a
 * packet announcing more than `maxRemainingBytes` is caught from its first five bytes.
 */
export class PacketFraming {
  private phase: 'type' | 'length' | 'body' | 'off' = 'type'
  private length = 0
  private multiplier = 1
  private lengthBytes = 0
  private bodyLeft = 0

  constructor(private readonly maxRemainingBytes: number) {}

  /** The remaining length of the first packet in `chunk` that exceeds the cap, or undefined when none does. */
  oversized(chunk: Uint8Array): number | undefined {
    let i = 0
    while (i < chunk.length && this.phase !== 'off') {
      if (this.phase === 'body') {
        const skipped = Math.min(this.bodyLeft, chunk.length - i)
        this.bodyLeft -= skipped
        i += skipped
        if (this.bodyLeft === 0) this.phase = 'type'
      } else if (this.phase === 'type') {
        i++
        this.phase = 'length'
        this.length = 0
        this.multiplier = 1
        this.lengthBytes = 0
      } else {
        const byte = chunk[i++] as number
        this.length += (byte & 0x7f) * this.multiplier
        this.multiplier *= 128
        this.lengthBytes++
        if (this.length > this.maxRemainingBytes) return this.length
        if ((byte & 0x80) === 0) {
          this.bodyLeft = this.length
          this.phase = this.length === 0 ? 'type' : 'body'
        } else if (this.lengthBytes === 4) {
          // A malformed length: the MQTT parser refuses it and closes the connection itself.
          this.phase = 'off'
        }
      }
    }
    return undefined
  }
}

/**
 * Closes a connection as soon as a packet announces more than `maxRemainingBytes`, before its
 * body is read, so no client can make the broker buffer a packet of up to 256 MiB (the most
 * MQTT's remaining length can say) before the payload limit is checked. aedes and mqtt-packet
 * have no such limit of their own; aedes reads the socket with `read()`, which this wraps.
 */
export function guardPacketSize(socket: Duplex, maxRemainingBytes: number, onOversized: (remainingBytes: number) => void): void {
  const framing = new PacketFraming(maxRemainingBytes)
  const read = socket.read.bind(socket)
  socket.read = (size?: number): unknown => {
    const chunk: unknown = read(size)
    if (chunk instanceof Uint8Array) {
      const announced = framing.oversized(chunk)
      if (announced !== undefined) {
        onOversized(announced)
        socket.destroy()
        return null
      }
    }
    return chunk
  }
}
