import type { PayloadFormat, RecordFormat } from '../models/reading.js'
import { reservedApiKeys } from '../core/registry/device.js'

/**
 * The MQTT topics devices publish on. Each names the device, so the broker can check that a
 * device speaks only for itself, and most name the payload format:
 *
 *   devices/<deviceId>/ngsi-ld            NGSI-LD entity (normalized, concise or keyValues)
 *   devices/<deviceId>/senml              SenML JSON pack (RFC 8428)
 *   devices/<deviceId>/attrs              the format the device was registered with
 *   devices/<deviceId>/status             the device's own status text (its Last Will, `online`, …)
 *   /json/<apiKey>/<deviceId>/attrs[/a]   FIWARE IoT Agent JSON (one attribute with /a)
 *   /ul/<apiKey>/<deviceId>/attrs[/a]     FIWARE Ultralight 2.0
 *   /<apiKey>/<deviceId>/attrs            legacy IoT Agent topic without protocol prefix
 */
export interface TelemetryTopic {
  readonly deviceId: string
  /** Present on IoT Agent topics; must match the device's registered API key. */
  readonly apiKey?: string
  /** `auto` where the topic does not say: the device's registered format, then content sniffing. `device-status` on the status topic. */
  readonly format: RecordFormat
  /** IoT Agent single-attribute topics carry the attribute name. */
  readonly attribute?: string
}

const segment = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/

/** The topic a device reports its own status on, where its Last Will usually goes. */
export function statusTopic(deviceId: string): string {
  return `devices/${deviceId}/status`
}

/** Reads a PUBLISH topic; undefined when it is not a telemetry topic of this scheme. */
export function parseTelemetryTopic(topic: string): TelemetryTopic | undefined {
  const parts = topic.split('/')
  if (parts[0] === 'devices' && parts.length === 3) {
    const [, deviceId, kind] = parts as [string, string, string]
    if (!segment.test(deviceId)) return undefined
    if (kind === 'ngsi-ld') return { deviceId, format: 'ngsi-ld' }
    if (kind === 'senml') return { deviceId, format: 'senml' }
    if (kind === 'attrs') return { deviceId, format: 'auto' }
    if (kind === 'status') return { deviceId, format: 'device-status' }
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

/** Why a device may not publish on this topic, or undefined when it may: only on its own telemetry topics. */
export function publishRefusal(topic: string, device: { id: string; apiKey: string }): string | undefined {
  const parsed = parseTelemetryTopic(topic)
  if (!parsed) return `"${topic}" is not a telemetry topic`
  if (parsed.deviceId !== device.id) return `device "${device.id}" may not publish for "${parsed.deviceId}"`
  if (parsed.apiKey !== undefined && parsed.apiKey !== device.apiKey) return 'API key in the topic does not match the device'
  return undefined
}

/**
 * The topics the platform and IoT Agents send to a device, below each of its prefixes: commands
 * (`cmd`; the device answers on `cmdexe`) and configuration (`config` on the platform's own
 * scheme; `configuration/values`, the IoT Agent's answer to `configuration/commands`).
 */
const ownTopics = { devices: ['cmd', 'config'], iotAgent: ['cmd', 'configuration/values'] } as const

/**
 * The topic filters a device may subscribe to: exactly its own command and configuration topics,
 * below its own prefixes. No wildcard, so no filter reaches past them. The legacy prefix without
 * protocol is left out for an API key spelled like a protocol prefix (registration refuses those
 * now; devices registered before keep the other prefixes): `/json/<deviceId>/…` would be the
 * `/json/…` namespace of the devices whose API key is that id.
 */
export function subscribableTopics(device: { id: string; apiKey: string }): string[] {
  const iotAgent = [`/json/${device.apiKey}/${device.id}/`, `/ul/${device.apiKey}/${device.id}/`, ...(reservedApiKeys.includes(device.apiKey) ? [] : [`/${device.apiKey}/${device.id}/`])]
  return [...ownTopics.devices.map((t) => `devices/${device.id}/${t}`), ...iotAgent.flatMap((prefix) => ownTopics.iotAgent.map((t) => prefix + t))]
}

/** Whether a device may subscribe to a topic filter (see `subscribableTopics`). */
export function maySubscribe(filter: string, device: { id: string; apiKey: string }): boolean {
  return subscribableTopics(device).includes(filter)
}
