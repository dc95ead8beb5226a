import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'

interface ApiReading {
  time: string
  measurement: string
  field: string
  value: number | string | boolean
  unit: string
}

describe('pipeline spine: MQTT → Kafka → normaliser → InfluxDB → API', () => {
  const { config, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline
  let bin: TestDevice
  let scale: TestDevice

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'bin-0042', kind: 'waste_container', format: 'ngsi-ld' })
    scale = await registerDevice(config, { id: 'bin-0043', kind: 'waste_container', format: 'senml' })
    pipeline = await startInProcess(config)
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  async function readings(deviceId: string, expected: number): Promise<ApiReading[]> {
    const from = new Date(Date.now() - 3_600_000).toISOString()
    return waitFor(
      async () => {
        const response = await fetch(`${pipeline.apiUrl}/v1/devices/${deviceId}/readings?from=${from}`, { headers: pipeline.authHeaders })
        const body = (await response.json()) as { readings?: ApiReading[] }
        if (!body.readings) throw new Error(`API answered ${response.status}: ${JSON.stringify(body)}`)
        return body.readings.length >= expected ? body.readings : undefined
      },
      20_000,
      `${expected} readings of ${deviceId} from the API`,
    )
  }

  test('a WasteContainer in NGSI-LD normalized form comes out of the API in canonical units with its observedAt', async () => {
    const observedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 120_000).toISOString()
    const entity = {
      id: 'urn:ngsi-ld:WasteContainer:testcity:bin-0042',
      type: 'WasteContainer',
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [4.42173, 51.21301] } },
      fillingLevel: { type: 'Property', value: 72, unitCode: 'P1', observedAt },
      cargoWeight: { type: 'Property', value: 0.0385, unitCode: 'TNE', observedAt },
      temperature: { type: 'Property', value: 21.4, unitCode: 'CEL', observedAt },
      status: { type: 'Property', value: 'ok', observedAt },
      '@context': ['https://raw.githubusercontent.com/smart-data-models/dataModel.WasteManagement/master/context.jsonld'],
    }
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
    await client.publishAsync('devices/bin-0042/ngsi-ld', JSON.stringify(entity), { qos: 1 })
    await client.endAsync()

    const got = await readings('bin-0042', 4)
    const byField = Object.fromEntries(got.map((r) => [r.field, r]))
    expect(byField.filling_level).toMatchObject({ value: 0.72, unit: 'ratio', time: observedAt })
    expect(byField.cargo_weight_kg?.value).toBeCloseTo(38.5, 9)
    expect(byField.cargo_weight_kg).toMatchObject({ unit: 'kg', time: observedAt })
    expect(byField.temperature_c).toMatchObject({ value: 21.4, unit: 'Cel', time: observedAt })
    expect(byField.status).toMatchObject({ value: 'ok', time: observedAt })
    expect(got).toHaveLength(4)
  })

  test('a SenML pack resolves base name, base time, base unit and relative times into separate readings', async () => {
    const baseTime = Math.floor(Date.now() / 1000) - 600
    const pack = [
      { bn: 'urn:dev:bin-0043:', bt: baseTime, bu: 'Cel', n: 'temperature', v: 18.5 },
      { n: 'temperature', t: 60, v: 19 },
      { n: 'temperature', u: 'K', t: 120, v: 293.15 },
      { n: 'fillingLevel', u: '%', t: 120, v: 0.4 },
      { n: 'cargoWeight', u: 'g', t: 120, v: 12500 },
    ]
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: scale.device.id, username: scale.device.id, password: scale.secret, protocolVersion: 4 })
    await client.publishAsync('devices/bin-0043/senml', JSON.stringify(pack), { qos: 1 })
    await client.endAsync()

    const got = await readings('bin-0043', 5)
    const at = (offset: number): string => new Date((baseTime + offset) * 1000).toISOString()
    const temperatures = got.filter((r) => r.field === 'temperature_c').map((r) => [r.time, r.value])
    expect(temperatures).toEqual([
      [at(0), 18.5],
      [at(60), 19],
      [at(120), expect.closeTo(20, 9)],
    ])
    expect(got.find((r) => r.field === 'filling_level')).toMatchObject({ value: 0.4, unit: 'ratio', time: at(120) })
    expect(got.find((r) => r.field === 'cargo_weight_kg')).toMatchObject({ value: 12.5, unit: 'kg', time: at(120) })
    expect(got).toHaveLength(5)
  })

  test('health reports both services reachable and /metrics reconciles the hops of the two messages above', async () => {
    const health = await fetch(`${pipeline.apiUrl}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok', kafka: { reachable: true }, influxdb: { reachable: true } })
    const metrics = await (await fetch(`${pipeline.apiUrl}/metrics`, { headers: pipeline.authHeaders })).text()
    const value = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1])
    expect(value('circular_ingest_accepted_total')).toBe(2)
    expect(value('circular_normaliser_accepted_total')).toBe(2)
    expect(value('circular_normaliser_readings_total')).toBe(9)
    expect(value('circular_normaliser_dead_lettered_total')).toBe(0)
    expect(value('circular_store_sink_stored_total')).toBe(9)
  })
})
