import { connect, type Socket } from 'node:net'
import { waitFor } from './pipeline.js'
export { connectPacket, publishPacket, pubrelPacket } from './mqtt-packets.js'

/** MQTT 3.1.1 control packet types (§2.2.1) that the tests read back. */
const typeNames: Record<number, string> = { 2: 'connack', 4: 'puback', 5: 'pubrec', 7: 'pubcomp', 9: 'suback', 13: 'pingresp' }

export interface WirePacket {
  readonly type: string
  /** The packet id, or for CONNACK the return code. */
  readonly id: number
}

/**
 * An MQTT 3.1.1 client written byte by byte, for what a library client would not send: the same
 * packet id twice, a DUP before PUBREL, a protocol level the broker does not speak.
 */
export class WireClient {
  readonly received: WirePacket[] = []
  private buffered = Buffer.alloc(0)

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.read(chunk))
    socket.on('error', () => undefined)
  }

  static async open(url: string): Promise<WireClient> {
    const { hostname, port } = new URL(url)
    const socket = connect(Number(port), hostname)
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject))
    return new WireClient(socket)
  }

  get closed(): boolean {
    return this.socket.destroyed || this.socket.readableEnded
  }

  /** Writes the packets in one go, so the broker reads them in one chunk. */
  write(...packets: Buffer[]): void {
    this.socket.write(Buffer.concat(packets))
  }

  async next(type: string, id?: number, timeoutMs = 10_000): Promise<WirePacket> {
    return waitFor(() => this.received.find((p) => p.type === type && (id === undefined || p.id === id)), timeoutMs, `${type}${id === undefined ? '' : ` ${id}`}`)
  }

  count(type: string, id: number): number {
    return this.received.filter((p) => p.type === type && p.id === id).length
  }

  close(): void {
    this.socket.destroy()
  }

  private read(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk])
    for (;;) {
      const length = remainingLength(this.buffered)
      if (!length || this.buffered.length < 1 + length.bytes + length.value) return
      const type = this.buffered[0]! >> 4
      const body = this.buffered.subarray(1 + length.bytes, 1 + length.bytes + length.value)
      this.received.push({ type: typeNames[type] ?? `type-${type}`, id: type === 2 ? body[1]! : body.length >= 2 ? body.readUInt16BE(0) : -1 })
      this.buffered = this.buffered.subarray(1 + length.bytes + length.value)
    }
  }
}

function remainingLength(buffer: Buffer): { value: number; bytes: number } | undefined {
  let value = 0
  for (let i = 1; i <= 4; i++) {
    if (i >= buffer.length) return undefined
    value += (buffer[i]! & 0x7f) * 128 ** (i - 1)
    if ((buffer[i]! & 0x80) === 0) return { value, bytes: i }
  }
  return undefined
}
