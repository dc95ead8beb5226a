import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { spawnCircular, type Running } from '../support/circular-process.js'
import { collectTopic, isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'

const h = 3_600_000
const t0 = Date.parse('2026-11-02T00:00:00Z')
const month = { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' }

/**
 * A container's month, with the expected KPIs worked out by hand:
 * - collection 1 at t0+31h: fill 0.45 before it, below the 0.5 low-fill level;
 * - collection 2 at t0+54h: fill 1.0 before it; full from t0+51h, so 3 h of overflow.
 * Hence 2 collections, mean fill at collection (0.45 + 1.0) / 2 = 0.725, low-fill share 1/2.
 * After the second emptying, fills 0.02, 0.1, 0.2 at 0, 6 and 16 h: least squares with n = 3,
 * Σt = 22, Σf = 0.32, Σt² = 292, Σtf = 3.8 gives a slope of (3·3.8 − 22·0.32) / (3·292 − 22²)
 * = 4.36 / 392 per hour, and (0.8 − 0.2) / slope hours to the 0.8 threshold.
 */
const slopePerHour = 4.36 / 392
const fills: [number, number][] = [
  [0, 0.1],
  [10, 0.2],
  [20, 0.3],
  [30, 0.45],
  [31, 0.05],
  [40, 0.5],
  [50, 0.95],
  [51, 1],
  [53, 1],
  [54, 0.02],
  [60, 0.1],
  [70, 0.2],
]

interface FootprintBody {
  unit: string
  basis: { rollupPoints: number; devices: number }
  rows: { time: string; dims: Record<string, string>; value: number }[]
}

describe('footprint: container collections survive a processor crash mid-scenario', () => {
  const { config, env, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline
  let bin: TestDevice
  let glass: TestDevice
  let footprint: Running | undefined

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'bin-fp', kind: 'waste_container', format: 'senml', tenant: 'fpcity', site: 'north', extra: { wasteFraction: 'plastic' } })
    glass = await registerDevice(config, { id: 'bin-glass', kind: 'waste_container', format: 'senml', tenant: 'fpcity', site: 'north', extra: { wasteFraction: 'glass' } })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'sink', 'api'])
  })
  afterAll(async () => {
    await footprint?.kill('SIGTERM')
    await pipeline?.stop()
    cleanup()
  })

  async function metric(id: string): Promise<FootprintBody> {
    const response = await fetch(`${pipeline.apiUrl}/v1/footprint?metric=${id}&tenant=fpcity&interval=month&from=${month.from}&to=${month.to}`, { headers: pipeline.authHeaders })
    if (response.status !== 200) throw new Error(`API answered ${response.status}: ${await response.text()}`)
    return (await response.json()) as FootprintBody
  }

  test('collections, fill at collection and low-fill share match the hand-computed values after a SIGKILL and restart', async () => {
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
    const publish = async (from: number, to: number): Promise<void> => {
      for (const [hours, fill] of fills.slice(from, to)) {
        await client.publishAsync('devices/bin-fp/senml', JSON.stringify([{ bn: 'urn:dev:bin-fp:', bt: (t0 + hours * h) / 1000, n: 'fillingLevel', u: '/', v: fill }]), { qos: 1 })
      }
    }

    footprint = spawnCircular(['process', 'footprint'], env)
    await publish(0, 6)
    // The first collection is computed: the processor is mid-scenario with state worth keeping.
    await waitFor(async () => (await metric('collections')).rows[0]?.value === 1, 60_000, 'the first collection')
    await footprint.kill('SIGKILL')
    footprint = spawnCircular(['process', 'footprint'], env)
    await publish(6, fills.length)
    await client.endAsync()
    // A glass container emptied once at 0.6, not a low-fill collection.
    const glassClient = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: glass.device.id, username: glass.device.id, password: glass.secret, protocolVersion: 4 })
    for (const [hours, fill] of [[5, 0.6], [6, 0.1]] as const) {
      await glassClient.publishAsync('devices/bin-glass/senml', JSON.stringify([{ bn: 'urn:dev:bin-glass:', bt: (t0 + hours * h) / 1000, n: 'fillingLevel', u: '/', v: fill }]), { qos: 1 })
    }
    await glassClient.endAsync()

    await waitFor(async () => (await metric('collections')).rows.reduce((n, r) => n + r.value, 0) === 3, 60_000, 'all three collections')
    const collections = await metric('collections')
    expect(collections.rows).toEqual([
      { time: month.from, dims: { fraction: 'glass' }, value: 1 },
      { time: month.from, dims: { fraction: 'plastic' }, value: 2 },
    ])
    expect(collections.basis).toEqual({ rollupPoints: 2, devices: 2 })
    // Over both containers: (0.45 + 1.0 + 0.6) / 3, and one low-fill collection of three.
    const atCollection = await metric('fill_at_collection')
    expect(atCollection.unit).toBe('ratio')
    expect(atCollection.rows[0]!.value).toBeCloseTo(2.05 / 3, 9)
    expect((await metric('low_fill_share')).rows[0]!.value).toBeCloseTo(1 / 3, 9)
    // Full from t0+51h until the drop at t0+54h.
    expect((await metric('overflow_events')).rows).toEqual([{ time: month.from, dims: { fraction: 'plastic' }, value: 1 }])
    expect((await metric('overflow_hours')).rows[0]!.value).toBeCloseTo(3, 9)
    // Mean fill per fraction: plastic 4.87 / 12 readings, glass (0.6 + 0.1) / 2.
    const means = (await metric('fill_level_mean')).rows.map((r) => [r.dims.fraction, r.value])
    expect(means.map(([fraction]) => fraction)).toEqual(['glass', 'plastic'])
    expect(means[0]![1]).toBeCloseTo(0.35, 9)
    expect(means[1]![1]).toBeCloseTo(4.87 / 12, 9)
    // Readings in 2 and 12 different hours of November's 720.
    expect((await metric('telemetry_completeness')).rows).toEqual([
      { time: month.from, dims: { device: 'bin-fp' }, value: 12 / 720 },
      { time: month.from, dims: { device: 'bin-glass' }, value: 2 / 720 },
    ])

    const kpis = (await (await fetch(`${pipeline.apiUrl}/v1/sites/north/kpis?tenant=fpcity&from=${month.from}&to=${month.to}`, { headers: pipeline.authHeaders })).json()) as { kpis: { metric: string; rows: { value: number }[] }[] }
    expect(kpis.kpis.find((k) => k.metric === 'collections')?.rows.map((r) => r.value)).toEqual([1, 2])
    expect(kpis.kpis.find((k) => k.metric === 'electricity_co2e')?.rows).toEqual([])

    const forecast = (await (await fetch(`${pipeline.apiUrl}/v1/containers/forecast?tenant=fpcity&withinDays=366`, { headers: pipeline.authHeaders })).json()) as {
      containers: { deviceId: string; fillLevel: number; fillRatePerDay: number; timeToFullHours: number; forecastFullAt: string; observedAt: string }[]
    }
    // The plastic container has a forecast; the just-emptied glass one has none yet and comes last.
    expect(forecast.containers.map((c) => c.deviceId)).toEqual(['bin-fp', 'bin-glass'])
    const [container] = forecast.containers
    expect(container).toMatchObject({ deviceId: 'bin-fp', site: 'north', fraction: 'plastic', fillLevel: 0.2, observedAt: new Date(t0 + 70 * h).toISOString() })
    expect(container!.fillRatePerDay).toBeCloseTo(slopePerHour * 24, 9)
    expect(container!.timeToFullHours).toBeCloseTo(0.6 / slopePerHour, 6)
    expect(Math.abs(Date.parse(container!.forecastFullAt) - (t0 + 70 * h + (0.6 / slopePerHour) * h))).toBeLessThan(1000)
  })
})

describe('footprint: late readings', () => {
  const { config, cleanup } = isolatedConfig({ FOOTPRINT_ALLOWED_LATENESS_MS: String(24 * h) })
  let pipeline: InProcessPipeline
  let bin: TestDevice

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'bin-late', kind: 'waste_container', format: 'senml', tenant: 'latecity', site: 'south' })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'footprint', 'sink', 'api'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  test('a late reading within the allowed lateness corrects the closed window; one beyond it is dead-lettered, not counted', async () => {
    const day = Date.parse('2026-11-10T00:00:00Z')
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
    const send = (time: number, fill: number) => client.publishAsync('devices/bin-late/senml', JSON.stringify([{ bn: 'urn:dev:bin-late:', bt: time / 1000, n: 'fillingLevel', u: '/', v: fill }]), { qos: 1 })
    const dayMean = async (): Promise<{ value: number; points: number } | undefined> => {
      const response = await fetch(`${pipeline.apiUrl}/v1/footprint?metric=fill_level_mean&tenant=latecity&interval=day&from=2026-11-10T00:00:00Z&to=2026-11-11T00:00:00Z`, { headers: pipeline.authHeaders })
      const body = (await response.json()) as FootprintBody
      return body.rows[0] ? { value: body.rows[0].value, points: body.basis.rollupPoints } : undefined
    }

    await send(day + 2 * h, 0.2)
    await send(day + 30 * h, 0.5) // the next day; the watermark moves to day + 6 h
    await waitFor(async () => (await dayMean())?.value === 0.2, 30_000, 'the first day window')
    await send(day + 8 * h, 0.4) // late, but after the watermark: the 10th is corrected to (0.2 + 0.4) / 2
    await send(day + 1 * h, 0.9) // before the watermark: too late for rollups
    await client.endAsync()

    const corrected = await waitFor(async () => {
      const mean = await dayMean()
      return mean && Math.abs(mean.value - 0.3) < 1e-9 ? mean : undefined
    }, 30_000, 'the corrected window')
    expect(corrected.points).toBe(1)
    const deadLetters = await collectTopic(config, config.bus.topics.deadLetter, (records) => records.length >= 1)
    expect(deadLetters.map((r) => [r.headers['dlq-stage'], r.headers['dlq-code']])).toEqual([['footprint', 'READING_TOO_LATE']])
    const after = await dayMean()
    expect(after?.value).toBeCloseTo(0.3, 9)
    expect(after?.points).toBe(1)
  })
})
