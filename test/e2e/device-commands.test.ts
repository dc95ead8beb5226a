import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { commandDispatchGroup } from '../../broker/command-dispatch.js'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { bearer, createTestKey } from '../support/api-auth.js'
import { spawnBroker, type Running } from '../support/circular-process.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { collectTopic, isolatedConfig, registerDevice, testLogger, waitFor, type TestDevice } from '../support/pipeline.js'
import { header } from '../../core/bus/topics.js'

interface CommandsBody {
  commands: { commandId: string; command: string; state: string; result?: string; history: { phase: string }[] }[]
}

// Redis as these machines run it (127.0.0.1:6379, nothing kept on disk), a database of this file's own.
const sessionStore = { MQTT_SESSION_STORE: 'redis', MQTT_REDIS_URL: 'redis://127.0.0.1:6379/7' }

describe('device commands over persistent sessions shared by two broker instances (Redis session store)', () => {
  const { config, env, cleanup } = isolatedConfig({ ...sessionStore, KAFKA_TOPIC_PARTITIONS: '1' })
  let first: InProcessPipeline | undefined
  let second: Running
  let secondUrl: string
  let bin: TestDevice

  beforeAll(async () => {
    bin = await registerDevice(config, { id: `cmd-bin-${Date.now().toString(36)}`, format: 'senml' })
    first = await startInProcess(config, ['broker', 'api', 'sink'])
    const spawned = await spawnBroker(env)
    second = spawned.broker
    secondUrl = spawned.url
  }, 120_000)
  afterAll(async () => {
    await second?.kill('SIGTERM')
    await first?.stop()
    cleanup()
  })

  const connect = (url: string): Promise<MqttClient> => mqtt.connectAsync(url, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4, clean: false, reconnectPeriod: 0, connectTimeout: 10_000 })
  const headers = (): Record<string, string> => ({ ...bearer(createTestKey(config, { tenant: 'testcity', role: 'operator' })), 'content-type': 'application/json' })

  test('a command queued while the device is offline survives a broker restart and reaches it once on the other instance; its answer is recorded', async () => {
    expect(secondUrl).toMatch(/^mqtt:/)
    // The device subscribes with a persistent session, then goes away.
    const device = await connect(first!.mqttUrl)
    await device.subscribeAsync(`devices/${bin.device.id}/cmd`, { qos: 1 })
    await device.endAsync()

    const posted = await fetch(`${first!.apiUrl}/v1/devices/${bin.device.id}/commands`, { method: 'POST', headers: headers(), body: JSON.stringify({ command: 'reboot', value: { delaySeconds: 5 } }) })
    expect(posted.status, await posted.clone().text()).toBe(202)
    const { commandId } = (await posted.json()) as { commandId: string }
    // Sent once a broker instance of the dispatch group has committed it: it waits in the session store.
    const bus = new KafkaBus(config.kafka, testLogger)
    try {
      await waitFor(async () => (await bus.lag(commandDispatchGroup(config), [config.bus.topics.deviceCommands])).every((p) => p.lag === 0 && p.position > 0), 30_000, 'the command taken by a broker')
    } finally {
      await bus.close()
    }

    // The first broker restarts; the device comes back on the other instance.
    await first!.stop()
    first = await startInProcess(config, ['broker', 'api', 'sink'])
    const received: { topic: string; payload: string }[] = []
    const back = mqtt.connect(secondUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4, clean: false, reconnectPeriod: 0 })
    back.on('message', (topic, payload) => received.push({ topic, payload: payload.toString('utf8') }))
    await waitFor(() => received.length > 0, 20_000, 'the queued command')
    expect(received).toEqual([{ topic: `devices/${bin.device.id}/cmd`, payload: expect.stringContaining(`"id":"${commandId}"`) as string }])
    expect(JSON.parse(received[0]!.payload)).toMatchObject({ id: commandId, command: 'reboot', value: { delaySeconds: 5 } })
    await back.publishAsync(`devices/${bin.device.id}/cmdexe`, JSON.stringify({ id: commandId, status: 'ok', result: 'rebooting' }), { qos: 1 })
    // Nothing comes twice, on this connection or the next.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    await back.endAsync()
    const again = await connect(first.mqttUrl)
    const later: string[] = []
    again.on('message', (_topic, payload) => later.push(payload.toString('utf8')))
    await new Promise((resolve) => setTimeout(resolve, 2000))
    await again.endAsync()
    expect(received).toHaveLength(1)
    expect(later).toEqual([])

    const commands = await waitFor(async () => {
      const body = (await (await fetch(`${first!.apiUrl}/v1/devices/${bin.device.id}/commands`, { headers: headers() })).json()) as CommandsBody
      return body.commands[0]?.state === 'ok' && body.commands[0].history.length === 3 ? body.commands : undefined
    }, 30_000, 'the answer recorded')
    expect(commands.map((c) => [c.commandId, c.command, c.state, c.result, c.history.map((h) => h.phase)])).toEqual([[commandId, 'reboot', 'ok', 'rebooting', ['pending', 'delivered', 'ok']]])
  }, 180_000)

  test('an answer that cannot be read is acknowledged and dead-lettered, and a command for another tenant\'s device is refused as unknown', async () => {
    const device = await connect(first!.mqttUrl)
    await device.publishAsync(`devices/${bin.device.id}/cmdexe`, 'not json', { qos: 1 })
    await device.endAsync()
    const letters = await collectTopic(config, config.bus.topics.deadLetter, (rs) => rs.some((r) => r.key === bin.device.id))
    expect(letters.filter((r) => r.key === bin.device.id).map((r) => [r.value.toString('utf8'), r.headers[header.dlqCode], r.headers[header.mqttTopic]])).toEqual([['not json', 'PAYLOAD_MALFORMED', `devices/${bin.device.id}/cmdexe`]])
    const other = await registerDevice(config, { id: `cmd-other-${Date.now().toString(36)}`, tenant: 'othercity' })
    const refused = await fetch(`${first!.apiUrl}/v1/devices/${other.device.id}/commands`, { method: 'POST', headers: headers(), body: JSON.stringify({ command: 'reboot' }) })
    expect(refused.status).toBe(404)
  }, 60_000)

  test('a device with a clean session gets a command live and its answer is recorded; a Last Will on another device\'s command topic is refused at CONNECT', async () => {
    const live = await registerDevice(config, { id: `cmd-live-${Date.now().toString(36)}`, format: 'senml' })
    const device = await mqtt.connectAsync(first!.mqttUrl, { clientId: live.device.id, username: live.device.id, password: live.secret, protocolVersion: 4, clean: true, reconnectPeriod: 0 })
    const got: string[] = []
    device.on('message', (_topic, payload) => got.push(payload.toString('utf8')))
    await device.subscribeAsync(`devices/${live.device.id}/cmd`, { qos: 1 })
    const posted = await fetch(`${first!.apiUrl}/v1/devices/${live.device.id}/commands`, { method: 'POST', headers: headers(), body: JSON.stringify({ command: 'ping' }) })
    const { commandId } = (await posted.json()) as { commandId: string }
    await waitFor(() => got.length > 0, 20_000, 'the command')
    await device.publishAsync(`devices/${live.device.id}/cmdexe`, JSON.stringify({ id: commandId, status: 'error', result: 'busy' }), { qos: 1 })
    await device.endAsync()
    const commands = await waitFor(async () => {
      const body = (await (await fetch(`${first!.apiUrl}/v1/devices/${live.device.id}/commands`, { headers: headers() })).json()) as CommandsBody
      return body.commands[0]?.state === 'error' ? body.commands : undefined
    }, 30_000, 'the answer recorded')
    // A clean session keeps no record of the message, so its PUBACK cannot be matched: pending, then the answer.
    expect(commands.map((c) => [c.commandId, c.state, c.result])).toEqual([[commandId, 'error', 'busy']])

    const forger = mqtt.connectAsync(first!.mqttUrl, { clientId: live.device.id, username: live.device.id, password: live.secret, protocolVersion: 4, reconnectPeriod: 0, will: { topic: `devices/${bin.device.id}/cmd`, payload: Buffer.from('{"id":"x","command":"reboot"}'), qos: 1, retain: false } })
    await expect(forger).rejects.toMatchObject({ code: 5 })
  }, 60_000)
})
