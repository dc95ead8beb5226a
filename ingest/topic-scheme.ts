import type { PayloadFormat } from '../models/reading.js'

/**
 * The MQTT topics devices publish on. Each names the device, so the broker can check that a
 * device speaks only for itself, and most name the payload format:
 *
 *   devices/<deviceId>/ngsi-ld            NGSI-LD entity (normalized, concise or keyValues)
 *   devices/<deviceId>/senml              SenML JSON pack (RFC 8428)
 *   devices/<deviceId>/attrs              the format the device was registered with
 *   /json/<apiKey>/<deviceId>/attrs[/a]   FIWARE IoT Agent JSON (one attribute with /a)
 *   /ul/<apiKey>/<deviceId>/attrs[/a]     FIWARE Ultralight 2.0
 *   /<apiKey>/<deviceId>/attrs            legacy IoT Agent topic without protocol prefix
 */
export interface TelemetryTopic {
  readonly deviceId: string
  /** Present on IoT Agent topics; must match the device's registered API key. */
  readonly apiKey?: string
  /** `auto` where the topic does not say: the device's registered format, then content sniffing. */
  readonly format: PayloadFormat
  /** IoT Agent single-attribute topics carry the attribute name. */
  readonly attribute?: string
}

const segment = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

/** Reads a PUBLISH topic; undefined when it is not a telemetry topic of this scheme. */
export function parseTelemetryTopic(topic: string): TelemetryTopic | undefined {
  const parts = topic.split('/')
  if (parts[0] === 'devices' && parts.length === 3) {
    const [, deviceId, kind] = parts as [string, string, string]
    if (!segment.test(deviceId)) return undefined
    if (kind === 'ngsi-ld') return { deviceId, format: 'ngsi-ld' }
    if (kind === 'senml') return { deviceId, format: 'senml' }
    if (kind === 'attrs') return { deviceId, format: 'auto' }
    return undefined
  }
  if (parts[0] !== '') return undefined
  // IoT Agent topics start with '/', so parts[0] is empty.
  const prefixed = parts[1] === 'json' || parts[1] === 'ul'
  const [apiKey, deviceId, attrs, attribute, ...rest] = prefixed ? parts.slice(2) : parts.slice(1)
  if (apiKey === undefined || deviceId === undefined || attrs !== 'attrs' || rest.length > 0) return undefined
  if (!segment.test(apiKey) || !segment.test(deviceId)) return undefined
  if (attribute !== undefined && !segment.test(attribute)) return undefined
  const format: PayloadFormat = parts[1] === 'json' ? 'iota-json' : parts[1] === 'ul' ? 'ultralight' : 'auto'
  return { deviceId, apiKey, format, ...(attribute !== undefined ? { attribute } : {}) }
}

/**
 * Whether a device may subscribe to a topic filter: only inside its own namespaces (commands and
 * configuration sent to it), never with a wildcard before its own id.
 */
export function maySubscribe(filter: string, device: { id: string; apiKey: string }): boolean {
  const own = [`devices/${device.id}/`, `/${device.apiKey}/${device.id}/`, `/json/${device.apiKey}/${device.id}/`, `/ul/${device.apiKey}/${device.id}/`]
  return own.some((prefix) => filter.startsWith(prefix) && filter.length > prefix.length)
}
