import type { DecodeContext } from '../../models/decoding.js'

/** 2025-03-04T09:16:00Z: one minute after the observedAt of the data-models §1.1 examples. */
export const receivedAt = Date.parse('2025-03-04T09:16:00Z')

export function decodeContext(overrides: Partial<DecodeContext> = {}): DecodeContext {
  return {
    deviceId: 'bin-0042',
    kind: 'waste_container',
    format: 'auto',
    topic: 'devices/bin-0042/attrs',
    receivedAt,
    maxFutureSkewMs: 5 * 60_000,
    ...overrides,
  }
}
