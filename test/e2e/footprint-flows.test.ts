import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import type { Point } from '../../core/store/store.js'

const h = 3_600_000
const t0 = Date.parse('2026-11-03T08:00:00Z')
const day = '2026-11-03T00:00:00.000Z'
const iso = (ms: number): string => new Date(ms).toISOString()

// A second factor set, as a city would add one: only Belgium's grid factor differs (0.1 instead of 0.154).
function factorSetsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'factors-'))
  const base = JSON.parse(readFileSync('models/factors/sets/2025.1.json', 'utf8')) as { version: string; description: string; electricity: Record<string, { value: number }> }
  base.version = '2026.1'
  base.description = 'test set with a lower Belgian grid factor'
  base.electricity.BE!.value = 0.1
  writeFileSync(join(dir, '2026.1.json'), JSON.stringify(base))
  return dir
}

interface FootprintBody {
  unit: string
  factorSet: { version: string } | null
  rows: { time: string; dims: Record<string, string>; value: number }[]
}

describe('footprint: energy and material flows through the real pipeline, computed by hand', () => {
  const { config, cleanup } = isolatedConfig({ FACTOR_SETS_DIR: factorSetsDir(), FOOTPRINT_DEFAULT_COUNTRY: 'BE' })
  let pipeline: InProcessPipeline
  const devices: Record<string, TestDevice> = {}

  beforeAll(async () => {
    devices.meter = await registerDevice(config, { id: 'meter-1', kind: 'energy_meter', format: 'ngsi-ld', tenant: 'ecocity', site: 'hall' })
    devices.gas = await registerDevice(config, { id: 'gas-1', kind: 'gas_meter', format: 'ngsi-ld', tenant: 'ecocity', site: 'hall' })
    devices.heat = await registerDevice(config, { id: 'heat-1', kind: 'heat_meter', format: 'ngsi-ld', tenant: 'ecocity', site: 'hall' })
    devices.anomalous = await registerDevice(config, { id: 'meter-2', kind: 'energy_meter', format: 'ngsi-ld', tenant: 'baselinecity', site: 'school' })
    devices.scale = await registerDevice(config, { id: 'scale-1', kind: 'weighing_device', format: 'ngsi-ld', tenant: 'ecocity', site: 'rc-1' })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'footprint', 'sink', 'api'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  async function publish(device: TestDevice, entities: object[]): Promise<void> {
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: device.device.id, username: device.device.id, password: device.secret, protocolVersion: 4 })
    for (const entity of entities) await client.publishAsync(`devices/${device.device.id}/ngsi-ld`, JSON.stringify(entity), { qos: 1 })
    await client.endAsync()
  }

  async function metric(id: string, extra = ''): Promise<FootprintBody> {
    const response = await fetch(`${pipeline.apiUrl}/v1/footprint?metric=${id}&tenant=ecocity&interval=day&from=${day}&to=2026-11-04T00:00:00Z${extra}`, { headers: pipeline.authHeaders })
    if (response.status !== 200) throw new Error(`API answered ${response.status}: ${await response.text()}`)
    return (await response.json()) as FootprintBody
  }

  const total = (body: FootprintBody): number => body.rows.reduce((sum, r) => sum + r.value, 0)

  test('M1–M3 from meter registers with a counter reset, M6 and M8–M13 from weighings to every destination, and a new factor set applied to the past', async () => {
    // Electricity register: +10, +15, reset to 5 (counts 5), +10 = 40 kWh, one reset.
    const register = [1000, 1010, 1025, 5, 15]
    await publish(devices.meter!, register.map((kwh, i) => ({ id: 'urn:ngsi-ld:ACMeasurement:meter-1', type: 'ACMeasurement', totalActiveEnergyImport: { type: 'Property', value: kwh, unitCode: 'KWH', observedAt: iso(t0 + i * h) } })))
    // Gas: 100 → 112 m3. Heat: 500 → 700 kWh.
    await publish(devices.gas!, [100, 112].map((m3, i) => ({ id: 'urn:ngsi-ld:SmartMeteringObservation:gas-1', type: 'SmartMeteringObservation', totalConsumption: { type: 'Property', value: m3, unitCode: 'MTQ', observedAt: iso(t0 + i * 5 * h) } })))
    await publish(devices.heat!, [500, 700].map((kwh, i) => ({ id: 'urn:ngsi-ld:SmartMeteringObservation:heat-1', type: 'SmartMeteringObservation', totalConsumption: { type: 'Property', value: kwh, unitCode: 'KWH', observedAt: iso(t0 + i * 5 * h) } })))
    // Recycling centre, in: glass 1000, paper 500, organic 400, plastic 300, other 50 kg (2250).
    // Out (1840): glass 800 and paper 300 to recycling, paper 100 to landfill, organic 350 to
    // composting, plastic 250 to energy recovery, other 40 to re-use.
    const flows: [string, 'in' | 'out', string | undefined, number][] = [
      ['glass', 'in', undefined, 1000],
      ['paper', 'in', undefined, 500],
      ['organic', 'in', undefined, 400],
      ['plastic', 'in', undefined, 300],
      ['other', 'in', undefined, 50],
      ['glass', 'out', 'recycling', 800],
      ['paper', 'out', 'recycling', 300],
      ['paper', 'out', 'landfill', 100],
      ['organic', 'out', 'composting', 350],
      ['plastic', 'out', 'energy_recovery', 250],
      ['other', 'out', 'reuse', 40],
    ]
    const weighings = flows.map(([kind, direction, destination, kg], i) => ({
      id: `urn:ngsi-ld:WasteObserved:rc-1-${i}`,
      type: 'WasteObserved',
      dateObserved: iso(t0 + i * 10 * 60_000),
      weight: kg,
      storedWasteKind: kind,
      direction,
      ...(destination ? { destination } : {}),
    }))
    // The first three weighings again, as a device resends what it published before a PUBACK was
    // lost: new MQTT messages with the same content, which must not count twice.
    await publish(devices.scale!, [...weighings.slice(0, 3), ...weighings.slice(0, 3), ...weighings.slice(3)])

    // Three meters, each on its own partition and batch: wait for all of them.
    await waitFor(async () => Math.abs(total(await metric('energy_kwh')) - 40 - 200) < 1e-6 && Math.abs(total(await metric('gas_m3')) - 12) < 1e-6, 30_000, 'energy and gas rollups')
    const energy = await metric('energy_kwh')
    expect(energy.rows.map((r) => [r.dims.meter_type, r.value]).sort()).toEqual([['electricity', expect.closeTo(40, 9)], ['heat', expect.closeTo(200, 9)]])
    expect(total(await metric('gas_m3'))).toBeCloseTo(12, 9)

    const electricity = await metric('electricity_co2e', '&factorSet=2025.1')
    expect(electricity.factorSet?.version).toBe('2025.1')
    expect(total(electricity)).toBeCloseTo(40 * 0.154, 9)
    expect(total(await metric('heat_co2e'))).toBeCloseTo(200 * 0.1796, 9)
    expect(total(await metric('gas_co2e'))).toBeCloseTo(12 * 2.02633, 9)
    // The newer set applies to the same past kWh without reprocessing, and becomes the default.
    expect(total(await metric('electricity_co2e', '&factorSet=2026.1'))).toBeCloseTo(40 * 0.1, 9)
    const byDefault = await metric('electricity_co2e')
    expect(byDefault.factorSet?.version).toBe('2026.1')
    expect(total(byDefault)).toBeCloseTo(4, 9)

    // The re-use outflow comes last; once the rate counts it, every earlier flow is stored too (one device, one partition, in order).
    await waitFor(async () => Math.abs(((await metric('recycling_rate')).rows[0]?.value ?? 0) - 1490 / 1840) < 1e-12, 30_000, 'all material flow rollups')
    // Re-use 40 + recycling 1100 + composting 350 of 1840 sent out.
    expect((await metric('recycling_rate')).rows[0]!.value).toBeCloseTo(1490 / 1840, 12)
    expect((await metric('landfill_rate')).rows[0]!.value).toBeCloseTo(100 / 1840, 12)
    expect((await metric('landfill_diversion_rate')).rows[0]!.value).toBeCloseTo(1740 / 1840, 12)
    expect((await metric('recycling_share')).rows[0]!.value).toBeCloseTo(1100 / 1840, 12)
    expect((await metric('reuse_rate')).rows[0]!.value).toBeCloseTo(40 / 2250, 12)
    // DESNZ 2025 per tonne: recycling and energy recovery 4.68568, composting 8.98311, paper to landfill 1164.4894; none for re-use.
    expect(total(await metric('treatment_co2e'))).toBeCloseTo((0.8 + 0.3 + 0.25) * 4.68568 + 0.35 * 8.98311 + 0.1 * 1164.4894, 9)
    expect(total(await metric('avoided_co2e_indicative'))).toBeCloseTo(0.8 * 579.6 + 0.3 * 219.7, 9)
    expect((await metric('stock_change_kg')).rows.map((r) => [r.dims.fraction, r.value])).toEqual([['glass', 200], ['organic', 50], ['other', 10], ['paper', 100], ['plastic', 50]])
    expect((await metric('waste_received_kg')).rows.map((r) => [r.dims.fraction, r.value])).toEqual([['glass', 1000], ['organic', 400], ['other', 50], ['paper', 500], ['plastic', 300]])

    const csv = await (await fetch(`${pipeline.apiUrl}/v1/footprint?metric=waste_received_kg&tenant=ecocity&interval=day&from=${day}&to=2026-11-04T00:00:00Z&format=csv`, { headers: pipeline.authHeaders })).text()
    expect(csv).toBe(`# metric=waste_received_kg unit=kg\ntime,fraction,value\n${day},glass,1000\n${day},organic,400\n${day},other,50\n${day},paper,500\n${day},plastic,300\n`)
  })

  test('M5: an hour 50 % above the median of the same hour of the week in the four weeks before', async () => {
    const week = 7 * 24 * h
    const target = Date.parse('2026-11-05T09:00:00Z')
    // Register readings at the start and end of the same hour in each of the four weeks before and
    // in the target week: 10, 12, 8 and 30 kWh, then 16.5 (100 kWh more in every gap between).
    // Median of 8, 10, 12, 30 is 11, so the anomaly is (16.5 − 11) / 11 = 0.5.
    const hourly = [10, 12, 8, 30, 16.5]
    let register = 1000
    const readings: [number, number][] = []
    hourly.forEach((kwh, i) => {
      const start = target - (4 - i) * week
      if (i > 0) register += 100
      readings.push([start, register])
      register += kwh
      readings.push([start + h, register])
    })
    await publish(devices.anomalous!, readings.map(([time, kwh]) => ({ id: 'urn:ngsi-ld:ACMeasurement:meter-2', type: 'ACMeasurement', totalActiveEnergyImport: { type: 'Property', value: kwh, unitCode: 'KWH', observedAt: iso(time) } })))
    const anomaly = async (): Promise<FootprintBody> =>
      (await (await fetch(`${pipeline.apiUrl}/v1/footprint?metric=energy_anomaly&tenant=baselinecity&interval=hour&from=${iso(target)}&to=${iso(target + h)}`, { headers: pipeline.authHeaders })).json()) as FootprintBody
    await waitFor(async () => (await anomaly()).rows.length === 1, 30_000, 'the anomaly row')
    const body = await anomaly()
    expect(body.rows).toHaveLength(1)
    expect(body.rows[0]!.dims).toEqual({ meter_type: 'electricity' })
    expect(body.rows[0]!.value).toBeCloseTo(0.5, 9)

    // The processor stores the same anomaly per meter (what the Energy dashboard reads): the target
    // hour with its baseline, and every other hour of the four weeks agrees with the API as well.
    const stored = async (): Promise<Point[]> => pipeline.platform.store.points({ measurement: 'energy_anomaly', tags: { tenant: 'baselinecity' }, from: target - 4 * week, to: target + h, limit: 10_000 })
    await waitFor(async () => (await stored()).some((p) => p.time === target), 30_000, 'the stored anomaly point')
    const points = await stored()
    const atTarget = points.find((p) => p.time === target)!
    expect(atTarget.tags).toMatchObject({ tenant: 'baselinecity', site: 'school', device: 'meter-2', meter_type: 'electricity' })
    expect(atTarget.fields.kwh).toBeCloseTo(16.5, 9)
    expect(atTarget.fields.baseline_kwh).toBeCloseTo(11, 9)
    expect(atTarget.fields.anomaly).toBeCloseTo(0.5, 9)
    const all = (await (await fetch(`${pipeline.apiUrl}/v1/footprint?metric=energy_anomaly&tenant=baselinecity&interval=hour&from=${iso(target - 4 * week)}&to=${iso(target + h)}`, { headers: pipeline.authHeaders })).json()) as FootprintBody
    // Hours of the three weeks after the first one, each with a week or more of history before it.
    expect(all.rows.length).toBeGreaterThan(3 * 168)
    expect(points.map((p) => [new Date(p.time).toISOString(), p.fields.anomaly])).toEqual(all.rows.map((r) => [r.time, r.value]))
  })
})
