import { randomBytes } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import type { Config } from '../../core/config.js'
import { alertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import { bearer, createTestKey } from '../support/api-auth.js'
import { spawnCircular, type Running } from '../support/circular-process.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { collectTopic, countStored, ensureAlertTopics, isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'

const minute = 60_000
const t0 = Date.parse('2026-11-02T08:00:00Z')

/** Alert topics of this file only; one partition, so the events of a run come out in the order they were made. */
function alertsEnv(): Record<string, string> {
  const id = randomBytes(4).toString('hex')
  return { ALERT_PROCESSOR_GROUP: `test.${id}.alerts`, ALERT_NOTIFIER_GROUP: `test.${id}.notifier`, TOPIC_ALERTS: `test.${id}.alerts`, TOPIC_ALERTS_STATE: `test.${id}.alerts-state`, TOPIC_ALERT_COMMANDS: `test.${id}.alert-commands`, KAFKA_TOPIC_PARTITIONS: '1' }
}

interface AlertsBody {
  alerts: { alertId: string; rule: string; state: string; firedAt: string; history: { phase: string; at: string }[] }[]
}

type SenmlRecord = { n: string; u?: string; v?: number; vs?: string; vb?: boolean }

async function publisher(pipeline: InProcessPipeline, bin: TestDevice): Promise<{ send: (minutes: number, ...records: SenmlRecord[]) => Promise<void>; end: () => Promise<void> }> {
  const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
  return {
    send: async (minutes, ...records) => {
      const [first, ...rest] = records
      const pack = [{ bn: `urn:dev:${bin.device.id}:`, bt: (t0 + minutes * minute) / 1000, ...first }, ...rest]
      await client.publishAsync(`devices/${bin.device.id}/senml`, JSON.stringify(pack), { qos: 1 })
    },
    end: () => client.endAsync(),
  }
}

/** The alert events so far, once `done` holds for them. */
async function alertEvents(config: Config, topic: string, done: (events: AlertEvent[]) => boolean): Promise<AlertEvent[]> {
  const decode = (records: { value: Buffer }[]): AlertEvent[] => records.map((r) => alertEvent.parse(JSON.parse(r.value.toString('utf8'))))
  return decode(await collectTopic(config, topic, (records) => done(decode(records)), 45_000))
}

/** (rule, phase, minutes after t0) of each transition; a transition delivered twice appears once. */
function transitions(events: AlertEvent[]): [string, string, number][] {
  const seen = new Map<string, [string, string, number]>()
  for (const e of events) seen.set(`${e.alertId}/${e.phase}`, [e.rule, e.phase, (e.at - t0) / minute])
  return [...seen.values()]
}

describe('alerts: every rule kind fires from MQTT readings and resolves', () => {
  const { config, cleanup } = isolatedConfig({ ...alertsEnv(), ALERT_RULES_FILE: join(tmpdir(), `circular-alert-rules-${randomBytes(4).toString('hex')}.json`) })
  let pipeline: InProcessPipeline
  let bin: TestDevice

  beforeAll(async () => {
    // This city empties at 70 %, not at the default 80 %.
    writeFileSync(config.alerts.rulesFile, JSON.stringify({ version: 1, tenants: { alertcity: { kinds: { waste_container: { fill: { threshold: 0.7 } } } } } }))
    bin = await registerDevice(config, { id: 'bin-alert', kind: 'waste_container', format: 'senml', tenant: 'alertcity', site: 'harbour' })
    pipeline = await startInProcess(config, ['broker', 'api', 'normaliser', 'sink', 'alerts'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    rmSync(config.alerts.rulesFile, { force: true })
    cleanup()
  })

  test('fill hovering at the threshold, fire, tamper and low battery each raise one alert and resolve; the history is stored', async () => {
    const { send, end } = await publisher(pipeline, bin)
    // Fill: 0.72 raises, 0.69 and 0.71 stay inside the hysteresis band, 0.55 (below 0.7 − 0.1) resolves.
    await send(0, { n: 'fillingLevel', u: '/', v: 0.5 })
    await send(1, { n: 'fillingLevel', u: '/', v: 0.72 })
    await send(2, { n: 'fillingLevel', u: '/', v: 0.69 })
    await send(3, { n: 'fillingLevel', u: '/', v: 0.71 })
    await send(4, { n: 'fillingLevel', u: '/', v: 0.55 })
    // Fire: 85 °C raises, 65 °C is within 10 °C of the alarm level, 30 °C resolves.
    await send(5, { n: 'temperature', u: 'Cel', v: 85 })
    await send(6, { n: 'temperature', u: 'Cel', v: 65 })
    await send(7, { n: 'temperature', u: 'Cel', v: 30 })
    // Tamper: dropped raises, ok resolves.
    await send(8, { n: 'status', vs: 'dropped' })
    await send(9, { n: 'status', vs: 'ok' })
    // Low battery: 10 % raises, 50 % resolves.
    await send(10, { n: 'battery', u: '%EL', v: 10 })
    await send(11, { n: 'battery', u: '%EL', v: 50 })
    // Full again after the fill rule's 30-minute cooldown: the last transition, so everything
    // before it on the one partition has been produced by the time it is seen.
    await send(40, { n: 'fillingLevel', u: '/', v: 0.8 })
    await end()

    const events = await alertEvents(config, config.alerts.topics.events, (es) => es.some((e) => e.at === t0 + 40 * minute))
    expect(transitions(events)).toEqual([
      ['fill', 'firing', 1],
      ['fill', 'resolved', 4],
      ['fire', 'firing', 5],
      ['fire', 'resolved', 7],
      ['tamper', 'firing', 8],
      ['tamper', 'resolved', 9],
      ['low_battery', 'firing', 10],
      ['low_battery', 'resolved', 11],
      ['fill', 'firing', 40],
    ])
    const fill = events.find((e) => e.rule === 'fill')!
    expect(fill).toMatchObject({ tenant: 'alertcity', site: 'harbour', deviceId: 'bin-alert', kind: 'waste_container', value: 0.72, location: { type: 'Point', coordinates: [4.42173, 51.21301] } })
    expect(events.filter((e) => e.alertId === fill.alertId).map((e) => e.phase)).toEqual(['firing', 'resolved'])
    // One point per transition in InfluxDB, written by the sink.
    await waitFor(async () => (await countStored(config, 'alerts', 'alert_id', 'bin-alert')) === 9, 30_000, 'nine alert points')
  }, 120_000)

  test('the API lists alerts by state and rule, shows one with its history, and an acknowledgement reaches the processor', async () => {
    const headers = { ...bearer(createTestKey(config, { tenant: 'alertcity', role: 'operator' })), 'content-type': 'application/json' }
    const range = `from=${new Date(t0).toISOString()}&to=${new Date(t0 + 60 * minute).toISOString()}`
    const list = async (filters: string): Promise<AlertsBody> => (await (await fetch(`${pipeline.apiUrl}/v1/alerts?tenant=alertcity&${range}${filters}`, { headers })).json()) as AlertsBody
    expect((await list('')).alerts.map((a) => [a.rule, a.state])).toEqual([
      ['fill', 'firing'],
      ['low_battery', 'resolved'],
      ['tamper', 'resolved'],
      ['fire', 'resolved'],
      ['fill', 'resolved'],
    ])
    const open = (await list('&state=firing')).alerts
    expect(open.map((a) => [a.rule, a.firedAt])).toEqual([['fill', new Date(t0 + 40 * minute).toISOString()]])
    expect((await list('&rule=tamper')).alerts.map((a) => a.rule)).toEqual(['tamper'])
    expect((await list('&site=elsewhere')).alerts).toEqual([])

    const resolvedFill = (await list('&rule=fill&state=resolved')).alerts[0]!
    const one = (await (await fetch(`${pipeline.apiUrl}/v1/alerts/${resolvedFill.alertId}`, { headers })).json()) as AlertsBody['alerts'][number] & { deliveries: unknown[] }
    expect(one).toMatchObject({ alertId: resolvedFill.alertId, rule: 'fill', deviceId: 'bin-alert', site: 'harbour', state: 'resolved', value: 0.72 })
    expect(one.history.map((h) => [h.phase, h.at])).toEqual([
      ['firing', new Date(t0 + minute).toISOString()],
      ['resolved', new Date(t0 + 4 * minute).toISOString()],
    ])
    // No channel is configured for this city: nothing was delivered.
    expect(one.deliveries).toEqual([])
    expect((await fetch(`${pipeline.apiUrl}/v1/alerts/zzzzzz-0123456789abcdef`, { headers })).status).toBe(404)

    const ack = (id: string): Promise<Response> => fetch(`${pipeline.apiUrl}/v1/alerts/${id}/ack`, { method: 'POST', headers, body: JSON.stringify({ by: 'depot-north-crew' }) })
    expect((await ack(resolvedFill.alertId)).status).toBe(409)
    expect((await ack(open[0]!.alertId)).status).toBe(202)
    await waitFor(async () => (await list('&state=acknowledged')).alerts.length === 1, 30_000, 'the acknowledgement applied and stored')
    const events = await alertEvents(config, config.alerts.topics.events, (es) => es.some((e) => e.phase === 'acknowledged'))
    expect(events.filter((e) => e.phase === 'acknowledged').map((e) => [e.alertId, e.reason])).toEqual([[open[0]!.alertId, 'acknowledged by depot-north-crew']])
  })
})

describe('alerts: a processor killed mid-stream', () => {
  // The processor is started as the readings are sent: it must work through them, not start after them.
  const { config, env, cleanup } = isolatedConfig({ ...alertsEnv(), ALERT_GROUPS_START_AT: 'earliest' })
  let pipeline: InProcessPipeline
  let bin: TestDevice
  let processor: Running | undefined

  beforeAll(async () => {
    await ensureAlertTopics(config)
    bin = await registerDevice(config, { id: 'bin-crash', kind: 'waste_container', format: 'senml', tenant: 'crashcity', site: 'east' })
    pipeline = await startInProcess(config, ['broker', 'normaliser'])
  })
  afterAll(async () => {
    await processor?.kill('SIGTERM')
    await pipeline?.stop()
    cleanup()
  })

  test('after SIGKILL and a restart, no transition is lost, none is repeated, and an open alert is not raised again', async () => {
    const { send, end } = await publisher(pipeline, bin)
    processor = spawnCircular(['process', 'alerts'], env)
    await send(0, { n: 'fillingLevel', u: '/', v: 0.9 })
    await send(1, { n: 'fillingLevel', u: '/', v: 0.95 })
    await alertEvents(config, config.alerts.topics.events, (es) => es.length >= 1)
    await processor.kill('SIGKILL')

    processor = spawnCircular(['process', 'alerts'], env)
    // Still full: the open alert stays open; then emptied, and full again after the 30-minute cooldown.
    await send(2, { n: 'fillingLevel', u: '/', v: 0.97 })
    await send(3, { n: 'fillingLevel', u: '/', v: 0.1 })
    await send(10, { n: 'fillingLevel', u: '/', v: 0.9 })
    await send(40, { n: 'fillingLevel', u: '/', v: 0.85 })
    await end()

    const events = await alertEvents(config, config.alerts.topics.events, (es) => es.some((e) => e.at === t0 + 40 * minute))
    expect(transitions(events)).toEqual([
      ['fill', 'firing', 0],
      ['fill', 'resolved', 3],
      ['fill', 'firing', 40],
    ])
    expect(new Set(events.map((e) => e.alertId)).size).toBe(2)
  }, 120_000)
})

describe('alerts: a device that goes silent, a lid left open', () => {
  const rulesFile = join(tmpdir(), `circular-silence-rules-${randomBytes(4).toString('hex')}.json`)
  const { config, cleanup } = isolatedConfig({ ...alertsEnv(), ALERT_RULES_FILE: rulesFile, ALERT_SILENCE_CHECK_MS: '500' })
  let pipeline: InProcessPipeline
  let bin: TestDevice
  let lidBin: TestDevice

  beforeAll(async () => {
    // Expected every 3 s; silent after two missed intervals. A lid may stay open for 3 s.
    writeFileSync(rulesFile, JSON.stringify({ version: 1, tenants: { quietcity: { all: { silence: { expectedIntervalMinutes: 0.05, missedIntervals: 2 }, tamper: { lidOpenGraceMinutes: 0.05 } } } } }))
    bin = await registerDevice(config, { id: 'bin-quiet', kind: 'waste_container', format: 'senml', tenant: 'quietcity', site: 'park' })
    lidBin = await registerDevice(config, { id: 'bin-lid', kind: 'waste_container', format: 'senml', tenant: 'quietcity', site: 'park' })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'alerts'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    rmSync(rulesFile, { force: true })
    cleanup()
  })

  test('silence raises one alert while the device says nothing, and its next reading resolves it', async () => {
    const { send, end } = await publisher(pipeline, bin)
    await send(0, { n: 'fillingLevel', u: '/', v: 0.2 })
    const silent = await alertEvents(config, config.alerts.topics.events, (es) => es.some((e) => e.rule === 'silence'))
    await send(1, { n: 'fillingLevel', u: '/', v: 0.25 })
    await end()
    const events = (await alertEvents(config, config.alerts.topics.events, (es) => es.some((e) => e.phase === 'resolved'))).filter((e) => e.deviceId === 'bin-quiet')
    expect(events.map((e) => [e.rule, e.phase, e.alertId])).toEqual([
      ['silence', 'firing', silent[0]!.alertId],
      ['silence', 'resolved', silent[0]!.alertId],
    ])
    expect(events[0]).toMatchObject({ deviceId: 'bin-quiet', tenant: 'quietcity' })
  }, 120_000)

  test('a lid left open past its grace raises tamper with no further reading, and shutting it resolves', async () => {
    const { send, end } = await publisher(pipeline, lidBin)
    // Observed this minute: the grace runs from the device's observation time, and the
    // processor's clock finds it over without another reading.
    const openedAt = Math.floor(Date.now() / minute) * minute
    await send((openedAt - t0) / minute, { n: 'lidOpen', vb: true })
    const tamperOf = (es: AlertEvent[]): AlertEvent[] => es.filter((e) => e.deviceId === 'bin-lid' && e.rule === 'tamper')
    const firing = tamperOf(await alertEvents(config, config.alerts.topics.events, (es) => tamperOf(es).length > 0))
    expect(firing.map((e) => [e.phase, e.at - openedAt, e.value])).toEqual([['firing', 3000, 'lidOpen']])
    await send((Math.floor(Date.now() / minute) * minute - t0) / minute + 1, { n: 'lidOpen', vb: false })
    await end()
    const events = tamperOf(await alertEvents(config, config.alerts.topics.events, (es) => tamperOf(es).some((e) => e.phase === 'resolved')))
    expect(events.map((e) => [e.phase, e.alertId])).toEqual([
      ['firing', firing[0]!.alertId],
      ['resolved', firing[0]!.alertId],
    ])
  }, 120_000)
})
