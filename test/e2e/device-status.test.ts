import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { alertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import { header } from '../../core/bus/topics.js'
import { connectionEvent, type ConnectionEvent } from '../../models/device-status.js'
import type { IncomingRecord } from '../../core/bus/bus.js'
import { bearer, createTestKey } from '../support/api-auth.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { collectTopic, countStored, isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'

function alertsEnv(): Record<string, string> {
  const id = randomBytes(4).toString('hex')
  return { ALERT_PROCESSOR_GROUP: `test.${id}.alerts`, ALERT_NOTIFIER_GROUP: `test.${id}.notifier`, TOPIC_ALERTS: `test.${id}.alerts`, TOPIC_ALERTS_STATE: `test.${id}.alerts-state`, TOPIC_ALERT_COMMANDS: `test.${id}.alert-commands`, KAFKA_TOPIC_PARTITIONS: '1' }
}

interface StatusBody {
  connection?: string
  events: { time: string; connection?: string; reason?: string; detail?: string; session?: string; reported?: string }[]
}

describe('device status: a Last Will becomes one offline event, stored, in the API, and alerted on', () => {
  const { config, cleanup } = isolatedConfig({ ...alertsEnv(), ALERT_RULES_FILE: join(tmpdir(), `circular-status-rules-${randomBytes(4).toString('hex')}.json`) })
  let pipeline: InProcessPipeline
  let bin: TestDevice
  let quiet: TestDevice

  beforeAll(async () => {
    // This city wants to know at once when a container's connection is lost; one that says goodbye is not lost.
    writeFileSync(config.alerts.rulesFile, JSON.stringify({ version: 1, tenants: { statuscity: { all: { offline: { enabled: true, graceMinutes: 0 }, cooldownMinutes: 0 } } } }))
    bin = await registerDevice(config, { id: 'bin-will', kind: 'waste_container', format: 'senml', tenant: 'statuscity', site: 'docks' })
    quiet = await registerDevice(config, { id: 'bin-sleeper', kind: 'waste_container', format: 'senml', tenant: 'statuscity', site: 'docks' })
    pipeline = await startInProcess(config, ['broker', 'api', 'normaliser', 'sink', 'alerts'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    rmSync(config.alerts.rulesFile, { force: true })
    cleanup()
  })

  const connect = (d: TestDevice): Promise<MqttClient> =>
    mqtt.connectAsync(pipeline.mqttUrl, { clientId: d.device.id, username: d.device.id, password: d.secret, protocolVersion: 4, reconnectPeriod: 0, keepalive: 30, will: { topic: `devices/${d.device.id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true } })

  const statusOf = (records: IncomingRecord[], deviceId: string): ConnectionEvent[] => records.filter((r) => r.key === deviceId).map((r) => connectionEvent.parse(JSON.parse(r.value.toString('utf8'))))
  const status = async (d: TestDevice): Promise<StatusBody> => (await fetch(`${pipeline.apiUrl}/v1/devices/${d.device.id}/status`, { headers: bearer(createTestKey(config, { tenant: 'statuscity', role: 'analyst' })) })).json() as Promise<StatusBody>

  test('a dropped TCP connection gives one offline event with the Last Will; the alert fires, and resolves when the device is back', async () => {
    const client = await connect(bin)
    await client.publishAsync(`devices/${bin.device.id}/senml`, JSON.stringify([{ n: 'fillingLevel', u: '/', v: 0.3 }]), { qos: 1 })
    // The connection drops without DISCONNECT: the broker sees the socket close.
    client.stream.destroy()
    const dropped = await collectTopic(config, config.bus.topics.deviceStatus, (rs) => statusOf(rs, bin.device.id).some((e) => e.connection === 'offline'))
    const told = statusOf(dropped, bin.device.id)
    expect(told.map((e) => [e.connection, e.reason, e.lastWill])).toEqual([
      ['online', 'connected', undefined],
      ['offline', 'connection_lost', 'offline'],
    ])
    // The will was told in the event, not handed over a second time: the raw topic has the reading only.
    const raw = await collectTopic(config, config.bus.topics.raw, (rs) => rs.some((r) => r.key === bin.device.id))
    expect(raw.filter((r) => r.key === bin.device.id).map((r) => r.headers[header.mqttTopic])).toEqual([`devices/${bin.device.id}/senml`])

    const events = (await collectTopic(config, config.alerts.topics.events, (rs) => rs.some((r) => alertEvent.parse(JSON.parse(r.value.toString())).rule === 'offline'), 45_000)).map((r): AlertEvent => alertEvent.parse(JSON.parse(r.value.toString())))
    const firing = events.filter((e) => e.rule === 'offline')
    expect(firing.map((e) => [e.deviceId, e.phase])).toEqual([[bin.device.id, 'firing']])
    expect(firing[0]!.reason).toMatch(/connection lost/)

    const back = await connect(bin)
    const resolved = await collectTopic(config, config.alerts.topics.events, (rs) => rs.some((r) => { const e = alertEvent.parse(JSON.parse(r.value.toString())); return e.rule === 'offline' && e.phase === 'resolved' }), 45_000)
    expect(resolved.map((r) => alertEvent.parse(JSON.parse(r.value.toString()))).filter((e) => e.rule === 'offline').map((e) => [e.alertId, e.phase])).toEqual([
      [firing[0]!.alertId, 'firing'],
      [firing[0]!.alertId, 'resolved'],
    ])
    await back.endAsync()

    // Stored beside the device's readings (online, offline, online, offline by DISCONNECT) and visible in the API.
    await waitFor(async () => (await countStored(config, 'device_status', 'connection', bin.device.id)) === 4, 30_000, 'four connection events stored')
    const body = await status(bin)
    expect(body.connection).toBe('offline')
    expect(body.events.map((e) => [e.connection, e.reason, e.reported])).toEqual([
      ['online', 'connected', undefined],
      ['offline', 'connection_lost', 'offline'],
      ['online', 'connected', undefined],
      ['offline', 'disconnected', undefined],
    ])
    // Status is no telemetry: the readings route has the fill level only.
    const readings = (await (await fetch(`${pipeline.apiUrl}/v1/devices/${bin.device.id}/readings`, { headers: bearer(createTestKey(config, { tenant: 'statuscity', role: 'analyst' })) })).json()) as { readings: { field: string }[] }
    expect(readings.readings.map((r) => r.field)).toEqual(['filling_level'])
  }, 120_000)

  test('a device that sends DISCONNECT goes offline without an alert, and its status topic takes what it reports', async () => {
    const client = await connect(quiet)
    await client.publishAsync(`devices/${quiet.device.id}/status`, 'sleeping', { qos: 1 })
    await client.endAsync()
    const told = await collectTopic(config, config.bus.topics.deviceStatus, (rs) => statusOf(rs, quiet.device.id).some((e) => e.connection === 'offline'))
    const offline = statusOf(told, quiet.device.id).filter((e) => e.connection === 'offline')
    expect(offline).toEqual([expect.objectContaining({ reason: 'disconnected' })])
    expect(offline[0]!.lastWill).toBeUndefined()
    await waitFor(async () => (await countStored(config, 'device_status', 'reported_status', quiet.device.id)) === 1, 30_000, 'the reported status stored')
    expect((await status(quiet)).events.filter((e) => e.reported !== undefined).map((e) => e.reported)).toEqual(['sleeping'])
    // One partition: once an alert for a later drop of the other device is out, the processor is past this device's offline event.
    const other = await connect(bin)
    other.stream.destroy()
    const events = await collectTopic(config, config.alerts.topics.events, (rs) => rs.filter((r) => { const e = alertEvent.parse(JSON.parse(r.value.toString())); return e.rule === 'offline' && e.phase === 'firing' }).length === 2, 45_000)
    expect(events.map((r) => alertEvent.parse(JSON.parse(r.value.toString()))).filter((e) => e.deviceId === quiet.device.id)).toEqual([])
  }, 60_000)
})
