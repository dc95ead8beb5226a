import type { Envelope, Measure, WireMessage } from './measure.js'

/**
 * FIWARE IoT Agent measures (data-models §6): JSON on `/json/<apiKey>/<deviceId>/attrs` with its
 * `TimeInstant`, and Ultralight 2.0 on `/ul/<apiKey>/<deviceId>/attrs` led by the ISO timestamp.
 * Values are in the model's default units, as IoT Agent payloads carry none.
 */

export function iotAgentJson(envelope: Envelope, measures: readonly Measure[]): WireMessage {
  const body: Record<string, unknown> = {}
  for (const m of measures) body[m.attribute] = m.value
  body.TimeInstant = new Date(envelope.time).toISOString()
  return { topic: `/json/${envelope.apiKey}/${envelope.deviceId}/attrs`, payload: JSON.stringify(body) }
}

export function ultralight(envelope: Envelope, measures: readonly Measure[]): WireMessage {
  const fields = measures.flatMap((m) => [m.attribute, String(m.value)])
  return { topic: `/ul/${envelope.apiKey}/${envelope.deviceId}/attrs`, payload: [new Date(envelope.time).toISOString(), ...fields].join('|') }
}
