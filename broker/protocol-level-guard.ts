import type { Duplex } from 'node:stream'

/** Protocol levels the broker speaks: MQTT 3.1 (`MQIsdp`) and 3.1.1. */
const supportedLevels = new Set([3, 4])

// CONNACK with return code 1, unacceptable protocol version (MQTT 3.1.1 §3.2.2.3).
const connackUnacceptable = Buffer.from([0x20, 0x02, 0x00, 0x01])
// MQTT 5 CONNACK with reason code 0x84, unsupported protocol version, and no properties (MQTT 5 §3.2.2.2).
const connackUnsupportedV5 = Buffer.from([0x20, 0x03, 0x00, 0x84, 0x00])

/**
 * The protocol level of a CONNECT at the start of `bytes`: a number, `undefined` while more bytes
 * are needed, or `null` when the bytes do not start with a CONNECT the level can be read from
 * (the MQTT parser refuses those itself).
 */
export function connectLevel(bytes: Uint8Array): number | null | undefined {
  if (bytes.length === 0) return undefined
  if (bytes[0] !== 0x10) return null
  let i = 1
  for (; i <= 4; i++) {
    if (i >= bytes.length) return undefined
    if ((bytes[i]! & 0x80) === 0) break
  }
  if (i > 4) return null
  const nameAt = i + 1
  if (bytes.length < nameAt + 2) return undefined
  const nameLength = (bytes[nameAt]! << 8) | bytes[nameAt + 1]!
  if (nameLength > 6) return null
  const levelAt = nameAt + 2 + nameLength
  if (bytes.length <= levelAt) return undefined
  // The top bit marks a bridge (a Mosquitto extension); the level is the rest.
  return bytes[levelAt]! & 0x7f
}

/**
 * Answers a CONNECT of a protocol level the broker does not speak with the CONNACK the client
 * understands, then closes: return code 1 as MQTT 3.1.1 asks (MQTT-3.1.2-2), and for MQTT 5 its
 * own CONNACK with reason 0x84. mqtt-packet would refuse a level above 5 without any answer, and
 * aedes answers MQTT 5 in 3.1.1's format, on which some MQTT 5 clients wait for ever. Reads the
 * first bytes of the connection before aedes does (aedes reads the socket with `read()`, which
 * this wraps), holding them back until the level can be read.
 */
export function guardProtocolLevel(socket: Duplex, onRefused: (level: number) => void): void {
  const read = socket.read.bind(socket)
  let held: Buffer | undefined = Buffer.alloc(0)
  socket.read = (size?: number): unknown => {
    const chunk: unknown = read(size)
    if (held === undefined || !(chunk instanceof Uint8Array)) return chunk
    const bytes = Buffer.concat([held, chunk])
    const level = connectLevel(bytes)
    if (level === undefined) {
      held = bytes
      return null
    }
    held = undefined
    if (level !== null && !supportedLevels.has(level)) {
      onRefused(level)
      socket.end(level === 5 ? connackUnsupportedV5 : connackUnacceptable)
      return null
    }
    return bytes
  }
}
