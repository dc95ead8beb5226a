import type { PendingCommand } from '../core/commands/device-command.js'
import { reservedApiKeys, type Device } from '../core/registry/device.js'

/** The message a command becomes on MQTT: the command topic of the device's format, QoS 1. */
export interface CommandMessage {
  readonly topic: string
  readonly payload: Buffer
}

/**
 * A command in the device's own format: FIWARE IoT Agent JSON (`/json/<apiKey>/<id>/cmd`,
 * `{"<name>": <value>}`), Ultralight 2.0 (`/ul/<apiKey>/<id>/cmd`, `<id>@<name>|<value>`), else the
 * platform's topic `devices/<id>/cmd` with `{"id", "command", "value", "expiresAt"}`, whose answer
 * can name the command it answers.
 */
export function commandMessage(device: Pick<Device, 'id' | 'apiKey' | 'format'>, command: PendingCommand): CommandMessage {
  if (device.format === 'iota-json') return { topic: `/json/${device.apiKey}/${device.id}/cmd`, payload: Buffer.from(JSON.stringify({ [command.name]: command.value })) }
  if (device.format === 'ultralight') {
    const value = command.value === null ? '' : typeof command.value === 'string' ? command.value : JSON.stringify(command.value)
    return { topic: `/ul/${device.apiKey}/${device.id}/cmd`, payload: Buffer.from(`${device.id}@${command.name}|${value}`) }
  }
  return { topic: `devices/${device.id}/cmd`, payload: Buffer.from(JSON.stringify({ id: command.commandId, command: command.name, value: command.value, expiresAt: new Date(command.expiresAt).toISOString() })) }
}

/** What a command message or answer says about which command it is. */
export interface CommandReference {
  readonly commandId?: string
  readonly name?: string
}

/** Which command an acknowledged command message was (the PUBACK of `topic` with `payload`); undefined when it is no command. */
export function commandOfMessage(topic: string, payload: Buffer): CommandReference | undefined {
  if (!isCommandTopic(topic, 'cmd')) return undefined
  const text = payload.toString('utf8')
  if (topic.startsWith('devices/')) {
    const parsed = parseObject(text)
    return typeof parsed?.id === 'string' ? { commandId: parsed.id, ...(typeof parsed.command === 'string' ? { name: parsed.command } : {}) } : undefined
  }
  if (topic.startsWith('/ul/')) {
    const name = /^[^@]+@([^|]+)\|/.exec(text)?.[1]
    return name !== undefined ? { name } : undefined
  }
  const name = Object.keys(parseObject(text) ?? {})[0]
  return name !== undefined ? { name } : undefined
}

/** A device's answer to a command, or why it cannot be read as one. */
export type CommandAnswer = { readonly kind: 'answer'; readonly commandId?: string; readonly name?: string; readonly status: 'ok' | 'error'; readonly result: string } | { readonly kind: 'invalid'; readonly problem: string }

/** The topics a device answers commands on: `cmdexe` below each of its command prefixes (the legacy one as `subscribableTopics` has it). */
export function answerTopics(device: Pick<Device, 'id' | 'apiKey'>): string[] {
  const legacy = reservedApiKeys.includes(device.apiKey) ? [] : [`/${device.apiKey}/${device.id}/cmdexe`]
  return [`devices/${device.id}/cmdexe`, `/json/${device.apiKey}/${device.id}/cmdexe`, `/ul/${device.apiKey}/${device.id}/cmdexe`, ...legacy]
}

/** Command ids as the API makes them: the issue time in base 36, then 16 hex digits. */
const commandIdShape = /^[0-9a-z]{1,12}-[0-9a-f]{16}$/
/** Command names as `commandName` allows them. */
const commandNameShape = /^[A-Za-z][A-Za-z0-9_]{0,63}$/

/**
 * Reads an answer: on the platform's topic `{"id", "status": "ok"|"error", "result"}`; IoT Agent
 * JSON `{"<name>": <result>}`, Ultralight `<id>@<name>|<result>`, both taken as done (`ok`), as
 * an IoT Agent takes them.
 */
export function parseCommandAnswer(topic: string, payload: Buffer): CommandAnswer {
  const text = payload.toString('utf8')
  if (topic.startsWith('devices/')) {
    const parsed = parseObject(text)
    if (parsed === undefined || typeof parsed.id !== 'string') return { kind: 'invalid', problem: 'an answer is {"id": "<command id>", "status": "ok" | "error", "result": …}' }
    if (!commandIdShape.test(parsed.id)) return { kind: 'invalid', problem: `"${parsed.id.slice(0, 40)}" is no command id of this platform` }
    if (parsed.status !== 'ok' && parsed.status !== 'error') return { kind: 'invalid', problem: 'the answer\'s "status" must be "ok" or "error"' }
    return { kind: 'answer', commandId: parsed.id, status: parsed.status, result: resultText(parsed.result) }
  }
  const ultralight = /^[^@]+@([^|]+)\|(.*)$/s.exec(text)
  // The legacy prefix names no protocol: JSON if it parses as such, else Ultralight.
  const json = topic.startsWith('/ul/') ? undefined : parseObject(text)
  if (json === undefined && topic.startsWith('/json/')) return { kind: 'invalid', problem: 'an IoT Agent JSON answer is {"<command>": <result>}' }
  if (json === undefined) {
    if (!ultralight) return { kind: 'invalid', problem: 'an Ultralight answer is <device id>@<command>|<result>' }
    if (!commandNameShape.test(ultralight[1]!)) return { kind: 'invalid', problem: `"${ultralight[1]!.slice(0, 40)}" is no command name` }
    return { kind: 'answer', name: ultralight[1]!, status: 'ok', result: resultText(ultralight[2]) }
  }
  const entries = Object.entries(json)
  if (entries.length !== 1) return { kind: 'invalid', problem: 'an IoT Agent JSON answer is {"<command>": <result>}' }
  if (!commandNameShape.test(entries[0]![0])) return { kind: 'invalid', problem: `"${entries[0]![0].slice(0, 40)}" is no command name` }
  return { kind: 'answer', name: entries[0]![0], status: 'ok', result: resultText(entries[0]![1]) }
}

function isCommandTopic(topic: string, last: 'cmd' | 'cmdexe'): boolean {
  return topic.endsWith(`/${last}`)
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function resultText(value: unknown): string {
  const text = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value)
  return text.length <= 1000 ? text : `${text.slice(0, 999)}…`
}
