/** MQTT 3.1.1 packets written byte by byte (§3), for clients that must send what a library would not. */

export function connectPacket(o: { clientId: string; username: string; password: string; level?: number }): Buffer {
  const body = Buffer.concat([text('MQTT'), Buffer.from([o.level ?? 4, 0x80 | 0x40 | 0x02, 0, 60]), text(o.clientId), text(o.username), text(o.password)])
  return packet(0x10, body)
}

export function publishPacket(o: { topic: string; payload: string; qos: 0 | 1 | 2; id?: number; dup?: boolean }): Buffer {
  const id = o.qos > 0 ? Buffer.from([(o.id ?? 1) >> 8, (o.id ?? 1) & 0xff]) : Buffer.alloc(0)
  return packet(0x30 | (o.dup ? 0x08 : 0) | (o.qos << 1), Buffer.concat([text(o.topic), id, Buffer.from(o.payload)]))
}

export function pubrelPacket(id: number): Buffer {
  return packet(0x62, Buffer.from([id >> 8, id & 0xff]))
}

function packet(first: number, body: Buffer): Buffer {
  const length: number[] = []
  let n = body.length
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    length.push(byte)
  } while (n > 0)
  return Buffer.concat([Buffer.from([first, ...length]), body])
}

function text(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8')
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes])
}
