/**
 * The two payload shapes of the benchmark, both SenML JSON (RFC 8428) so that they exercise the
 * same decoder and differ only in readings per message:
 *
 *   single  one record:   [{"bn":"urn:dev:<id>:","bt":<s>,"n":"temperature","u":"Cel","v":21.3}]
 *   pack    ten records of one quantity at ten consecutive milliseconds (a device flushing its
 *           buffer), base unit in the first record; they become ten InfluxDB points.
 *
 * Every reading of a device gets its own millisecond, so none overwrites another in InfluxDB and
 * the stored count equals the published count.
 */
export type PayloadMode = 'single' | 'pack'

export const readingsPerMessage: Record<PayloadMode, number> = { single: 1, pack: 10 }

/** A device's observation clock: wall time, but never twice the same millisecond. */
export class DeviceClock {
  private last = 0

  /** Reserves `count` consecutive milliseconds and returns the first. */
  take(count: number): number {
    const start = Math.max(Date.now(), this.last + 1)
    this.last = start + count - 1
    return start
  }
}

/** A temperature that varies with the sequence number but stays inside the model's range. */
function value(seq: number): number {
  return 15 + (seq % 200) / 10
}

export function buildPayload(mode: PayloadMode, deviceId: string, firstMs: number, seq: number): Buffer {
  const bt = firstMs / 1000
  if (mode === 'single') return Buffer.from(`[{"bn":"urn:dev:${deviceId}:","bt":${bt},"n":"temperature","u":"Cel","v":${value(seq)}}]`)
  let text = `[{"bn":"urn:dev:${deviceId}:","bt":${bt},"bu":"Cel","n":"temperature","v":${value(seq)}}`
  for (let i = 1; i < 10; i++) text += `,{"n":"temperature","t":${i / 1000},"v":${value(seq + i)}}`
  return Buffer.from(text + ']')
}

export function telemetryTopic(deviceId: string): string {
  return `devices/${deviceId}/senml`
}
