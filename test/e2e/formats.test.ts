import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { header } from '../../core/bus/topics.js'
import { deadLetterReasons } from '../../processors/dead-letter.js'
import { collectTopic, isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'

interface ApiReading {
  time: string
  measurement: string
  field: string
  value: number | string | boolean
  unit: string
}

/**
 * Every payload format and every data model through the real pipeline: MQTT → Kafka → normaliser
 * → InfluxDB → API, with the canonical values, units and observation times read back from the API.
 */
describe('formats and models end to end: MQTT → Kafka → InfluxDB → API', () => {
  const { config, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline
  const devices: Record<string, TestDevice> = {}
  /** Whole seconds, a few minutes back: inside the API's default range, never in the future. */
  const base = Math.floor(Date.now() / 1000) * 1000 - 600_000
  const iso = (offsetMs: number): string => new Date(base + offsetMs).toISOString()

  beforeAll(async () => {
    devices.scale = await registerDevice(config, { id: 'scale-1', kind: 'weighing_device', format: 'ngsi-ld' })
    devices.meter = await registerDevice(config, { id: 'meter-1', kind: 'energy_meter', format: 'ngsi-ld' })
    devices.heat = await registerDevice(config, { id: 'heat-1', kind: 'heat_meter', format: 'senml' })
    devices.gas = await registerDevice(config, { id: 'gas-1', kind: 'gas_meter', format: 'senml' })
    devices.bin = await registerDevice(config, { id: 'bin-1', kind: 'waste_container', format: 'iota-json' })
    devices.ulBin = await registerDevice(config, { id: 'bin-2', kind: 'waste_container', format: 'ultralight' })
    devices.sensor = await registerDevice(config, { id: 'sensor-1', kind: 'generic', format: 'auto' })
    pipeline = await startInProcess(config)
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  async function publish(device: TestDevice, topic: string, payload: unknown): Promise<void> {
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: device.device.id, username: device.device.id, password: device.secret, protocolVersion: 4 })
    await client.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 })
    await client.endAsync()
  }

  async function readings(deviceId: string, expected: number): Promise<Record<string, ApiReading>> {
    const from = new Date(base - 3_600_000).toISOString()
    const got = await waitFor(
      async () => {
        const response = await fetch(`${pipeline.apiUrl}/v1/devices/${deviceId}/readings?from=${from}`, { headers: pipeline.authHeaders })
        const body = (await response.json()) as { readings?: ApiReading[] }
        if (!body.readings) throw new Error(`API answered ${response.status}: ${JSON.stringify(body)}`)
        return body.readings.length >= expected ? body.readings : undefined
      },
      20_000,
      `${expected} readings of ${deviceId} from the API`,
    )
    expect(got).toHaveLength(expected)
    return Object.fromEntries(got.map((r) => [r.field, r]))
  }

  /** Tag values of a device's points, straight from InfluxDB. */
  async function tagsOf(measurement: string, deviceId: string, tags: string[]): Promise<unknown[][]> {
    const columns = tags.map((t) => `"${t}"::tag`).join(', ')
    const q = `SELECT count(*) FROM "${measurement}" WHERE "device"::tag = '${deviceId}' GROUP BY ${columns}`
    const response = await fetch(`${config.influx.url}/query?db=${encodeURIComponent(config.influx.database)}&q=${encodeURIComponent(q)}`)
    const body = (await response.json()) as { results: { series?: { tags: Record<string, string> }[] }[] }
    return (body.results[0]?.series ?? []).map((s) => tags.map((t) => s.tags[t]))
  }

  test('NGSI-LD normalized: a WasteObserved weighing with the material-flow extension, tagged for material-flow accounting', async () => {
    await publish(devices.scale!, 'devices/scale-1/ngsi-ld', {
      id: 'urn:ngsi-ld:WasteObserved:recyparc-noord:lane1',
      type: 'WasteObserved',
      grossWeight: { type: 'Property', value: 14.23, unitCode: 'TNE', observedAt: iso(0) },
      tareWeight: { type: 'Property', value: 11870, unitCode: 'KGM', observedAt: iso(0) },
      weight: { type: 'Property', value: 2360, unitCode: 'KGM', observedAt: iso(0) },
      storedWasteKind: { type: 'Property', value: 'plastic', observedAt: iso(0) },
      storedWasteCode: { type: 'Property', value: '200139', observedAt: iso(0) },
      direction: { type: 'Property', value: 'out', observedAt: iso(0) },
      destination: { type: 'Property', value: 'recycling', observedAt: iso(0) },
      refWeighingDevice: { type: 'Relationship', object: 'urn:ngsi-ld:Device:weighbridge-lane1' },
      '@context': ['https://raw.githubusercontent.com/smart-data-models/dataModel.WasteManagement/master/context.jsonld'],
    })
    const got = await readings('scale-1', 7)
    expect(got.gross_weight_kg).toEqual({ measurement: 'waste_weighing', field: 'gross_weight_kg', value: 14230, unit: 'kg', time: iso(0) })
    expect(got.tare_weight_kg).toMatchObject({ value: 11870, unit: 'kg', time: iso(0) })
    expect(got.net_weight_kg).toMatchObject({ value: 2360, unit: 'kg', time: iso(0) })
    expect(got.stored_waste_kind).toMatchObject({ value: 'plastic', unit: '', time: iso(0) })
    expect(got.waste_code).toMatchObject({ value: '20 01 39', time: iso(0) })
    expect(got.direction).toMatchObject({ value: 'out', time: iso(0) })
    expect(got.destination).toMatchObject({ value: 'recycling', time: iso(0) })
    expect(await tagsOf('waste_weighing', 'scale-1', ['material', 'direction', 'destination'])).toEqual([['plastic', 'out', 'recycling']])
  })

  test('NGSI-LD keyValues: a three-phase ACMeasurement (data-models §1.5), per-phase values in their own fields', async () => {
    await publish(devices.meter!, 'devices/meter-1/ngsi-ld', {
      id: 'urn:ngsi-ld:ACMeasurement:recyparc-noord:main-meter',
      type: 'ACMeasurement',
      phaseType: 'threePhase',
      dateObserved: iso(1000),
      activePower: { L1: 11996.4, L2: 9461.5, L3: 10242.4 },
      totalActivePower: 31700.3,
      totalActiveEnergyImport: 150781.96,
      phaseVoltage: { L1: 234.96, L2: 234.56, L3: 235.35 },
      current: { L1: 56.13, L2: 45.89, L3: 50.87, N: 0.0 },
      frequency: 50.02,
    })
    const got = await readings('meter-1', 14)
    const at = iso(1000)
    expect(got.phase_type).toMatchObject({ measurement: 'energy_ac', value: 'threePhase', time: at })
    expect([got.active_power_l1_w, got.active_power_l2_w, got.active_power_l3_w].map((r) => [r?.value, r?.unit, r?.time])).toEqual([
      [11996.4, 'W', at],
      [9461.5, 'W', at],
      [10242.4, 'W', at],
    ])
    expect(got.total_active_power_w).toMatchObject({ value: 31700.3, unit: 'W' })
    expect(got.total_active_energy_import_kwh).toMatchObject({ value: 150781.96, unit: 'kWh', time: at })
    expect(got.phase_voltage_l3_v).toMatchObject({ value: 235.35, unit: 'V' })
    expect(got.current_n_a).toMatchObject({ value: 0, unit: 'A' })
    expect(got.frequency_hz).toMatchObject({ value: 50.02, unit: 'Hz' })
    expect(await tagsOf('energy_ac', 'meter-1', ['meter_type'])).toEqual([['electricity']])
  })

  test('NGSI-LD concise on a topic that names no format: a heat meter SmartMeteringObservation in kWh, detected from the content', async () => {
    await publish(devices.heat!, 'devices/heat-1/attrs', {
      id: 'urn:ngsi-ld:SmartMeteringObservation:depot-1:heat-1',
      type: 'SmartMeteringObservation',
      meterType: 'Heat',
      totalConsumption: { value: 48.2505, unitCode: 'MWH', observedAt: iso(2000) },
      powerFactor: { value: 0.98, observedAt: iso(2000) },
    })
    const got = await readings('heat-1', 2)
    expect(got.total_consumption_kwh).toEqual({ measurement: 'utility_meter', field: 'total_consumption_kwh', value: 48250.5, unit: 'kWh', time: iso(2000) })
    expect(got.power_factor).toMatchObject({ value: 0.98, unit: 'ratio', time: iso(2000) })
    expect(await tagsOf('utility_meter', 'heat-1', ['meter_type'])).toEqual([['heat']])
  })

  test('SenML: a gas meter register from a sum in l/s·s stored as m³, with its battery in %EL', async () => {
    const seconds = (base + 3000) / 1000
    // A base sum applies to the records after it too (RFC 8428 §4.5.4), so the battery comes first.
    await publish(devices.gas!, 'devices/gas-1/senml', [
      { bn: 'urn:dev:gas-1:', bt: seconds, n: 'battery', u: '%EL', v: 87, t: -1 },
      { n: 'totalConsumption', u: 'l/s', bs: 1_520_000, s: 250 },
    ])
    const got = await readings('gas-1', 2)
    expect(got.total_consumption_m3).toEqual({ measurement: 'utility_meter', field: 'total_consumption_m3', value: 1520.25, unit: 'm3', time: iso(3000) })
    expect(got.battery_level).toEqual({ measurement: 'device_health', field: 'battery_level', value: 0.87, unit: 'ratio', time: iso(2000) })
  })

  test('IoT Agent JSON: container measures with device health, and a single-attribute topic', async () => {
    await publish(devices.bin!, '/json/testcity/bin-1/attrs', { fillingLevel: 0.8, batteryLevel: 0.5, rssi: -97, TimeInstant: iso(4000) })
    await publish(devices.bin!, '/json/testcity/bin-1/attrs/temperature', [{ timestamp: iso(5000), value: 21.5 }])
    const got = await readings('bin-1', 4)
    expect(got.filling_level).toEqual({ measurement: 'waste_container', field: 'filling_level', value: 0.8, unit: 'ratio', time: iso(4000) })
    expect(got.battery_level).toEqual({ measurement: 'device_health', field: 'battery_level', value: 0.5, unit: 'ratio', time: iso(4000) })
    expect(got.rssi_dbm).toEqual({ measurement: 'device_health', field: 'rssi_dbm', value: -97, unit: 'dBm', time: iso(4000) })
    expect(got.temperature_c).toEqual({ measurement: 'waste_container', field: 'temperature_c', value: 21.5, unit: 'Cel', time: iso(5000) })
  })

  test('Ultralight 2.0: timestamped groups of container measures', async () => {
    await publish(devices.ulBin!, '/ul/testcity/bin-2/attrs', `${iso(6000)}|fillingLevel|0.35|status|ok#${iso(7000)}|lidOpen|true|cargoWeight|12.5`)
    const got = await readings('bin-2', 4)
    expect(got.filling_level).toMatchObject({ value: 0.35, unit: 'ratio', time: iso(6000) })
    expect(got.status).toMatchObject({ value: 'ok', unit: '', time: iso(6000) })
    expect(got.lid_open).toMatchObject({ value: true, time: iso(7000) })
    expect(got.cargo_weight_kg).toMatchObject({ value: 12.5, unit: 'kg', time: iso(7000) })
  })

  test('NGSI-LD normalized: a Device entity reporting its health', async () => {
    await publish(devices.sensor!, 'devices/sensor-1/attrs', {
      id: 'urn:ngsi-ld:Device:sensor-1',
      type: 'Device',
      controlledProperty: { type: 'Property', value: ['fillingLevel'] },
      batteryLevel: { type: 'Property', value: 76, unitCode: 'P1', observedAt: iso(8000) },
      rssi: { type: 'Property', value: -112, observedAt: iso(8000) },
      deviceState: { type: 'Property', value: 'ok', observedAt: iso(8000) },
    })
    const got = await readings('sensor-1', 3)
    expect(got.battery_level).toEqual({ measurement: 'device_health', field: 'battery_level', value: 0.76, unit: 'ratio', time: iso(8000) })
    expect(got.rssi_dbm).toMatchObject({ value: -112, unit: 'dBm', time: iso(8000) })
    expect(got.device_state).toMatchObject({ value: 'ok', unit: '', time: iso(8000) })
  })

  test('nothing above was dead-lettered, and every reading was stored', async () => {
    const metrics = await (await fetch(`${pipeline.apiUrl}/metrics`, { headers: pipeline.authHeaders })).text()
    const value = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1])
    const deadLettered = value('circular_normaliser_dead_lettered_total')
    if (deadLettered > 0) {
      const records = await collectTopic(config, config.bus.topics.deadLetter, (r) => r.length >= deadLettered)
      expect(records.map((r) => [r.headers[header.mqttTopic], deadLetterReasons(r.headers)])).toEqual([])
    }
    expect(deadLettered).toBe(0)
    expect(value('circular_normaliser_accepted_total')).toBe(8)
    expect(value('circular_normaliser_readings_total')).toBe(36)
    expect(value('circular_store_sink_stored_total')).toBe(36)
  })
})
