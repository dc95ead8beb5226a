import type { Envelope, Measure, WireMessage } from './measure.js'

/**
 * A SenML JSON pack (RFC 8428): the device name as base name, the observation time as absolute
 * base time in seconds, one record per measure.
 */
export function senmlPack(envelope: Envelope, measures: readonly Measure[]): WireMessage {
  const records = measures.map((m, index) => {
    const { n, ...value } = m.senml
    const record = { n: n ?? m.attribute, ...value }
    return index === 0 ? { bn: `urn:dev:${envelope.deviceId}:`, bt: envelope.time / 1000, ...record } : record
  })
  return { topic: `devices/${envelope.deviceId}/senml`, payload: JSON.stringify(records) }
}
