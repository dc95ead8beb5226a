import { describe, expect, test } from 'vitest'
import type { Bus, IncomingRecord, OutgoingRecord } from '../../core/bus/bus.js'
import { loadConfig } from '../../core/config.js'
import type { Device } from '../../core/registry/device.js'
import type { DeviceRegistry } from '../../core/registry/registry.js'
import { Ingest } from '../../ingest/ingest.js'
import { parseTelemetryTopic } from '../../ingest/topic-scheme.js'
import type { CanonicalReading, ReadingEnvelope } from '../../models/reading.js'
import { flowDestinations } from '../../models/vocabulary.js'
import { Normaliser } from '../../processors/normaliser.js'
import { CityEngine } from '../../simulator/engine.js'
import { planFleet } from '../../simulator/fleet.js'
import { deviceFor } from '../../simulator/registration.js'
import { scenarioFor } from '../../simulator/scenario.js'
import { containerStep, fireReportIntervalMs, reportIntervalMs } from '../../simulator/sources.js'
import { testLogger } from '../support/pipeline.js'

const hour = 3_600_000
const start = Date.parse('2026-01-12T00:00:00Z')
const hours = 72

/**
 * Every message of three simulated days at scale 2 through the platform's own ingest and
 * normaliser code (topic → raw record headers → decode → units → registry checks), as the broker
 * and the normaliser process them, minus Kafka.
 */
async function normaliseAll(): Promise<{ envelopes: ReadingEnvelope[]; rejected: { topic: string; reasons: unknown }[]; messages: number }> {
  const config = loadConfig({ CIRCULAR_LOG_LEVEL: 'warn' })
  const plans = planFleet('demo-city', 2, 11)
  const devices = new Map<string, Device>(plans.map((p) => [p.id, deviceFor(p, 'demo-city', 'scrypt$16384$8$1$c2FsdA$aGFzaA', '2026-01-01T00:00:00.000Z')]))
  const registry: DeviceRegistry = { get: (id) => devices.get(id), list: () => [...devices.values()] }
  const raw: OutgoingRecord[] = []
  const capture = { publish: async (records: readonly OutgoingRecord[]) => void raw.push(...records) } as unknown as Bus
  const ingest = new Ingest(capture, config.bus.topics)
  const normaliser = new Normaliser({ config, bus: capture, registry, logger: testLogger })

  const messages = new CityEngine(plans, 'demo-city', 11, scenarioFor(start, hours)).takeUntil(start + hours * hour)
  for (const m of messages) {
    const topic = parseTelemetryTopic(m.topic)
    expect(topic?.deviceId, m.topic).toBe(m.deviceId)
    // Received a second after it was observed, as over a quick network.
    await ingest.accept({ device: devices.get(m.deviceId)!, mqttTopic: m.topic, format: topic!.format, payload: Buffer.from(m.payload), receivedAt: m.time + 1000 })
  }
  const envelopes: ReadingEnvelope[] = []
  const rejected: { topic: string; reasons: unknown }[] = []
  raw.forEach((record, offset) => {
    const { envelope, reasons } = normaliser.normalise({ ...record, partition: 0, offset: String(offset), timestamp: 0 } satisfies IncomingRecord)
    if (envelope) envelopes.push(envelope)
    if (reasons.length > 0) rejected.push({ topic: record.headers['mqtt-topic'] ?? '', reasons })
  })
  return { envelopes, rejected, messages: messages.length }
}

describe('simulated messages through the platform ingest and normaliser', async () => {
  const { envelopes, rejected, messages } = await normaliseAll()
  const plans = planFleet('demo-city', 2, 11)
  const idOf = (role: string): string => plans.find((p) => p.role === role)!.id
  const readingsOf = (deviceId: string, field: string): CanonicalReading[] => envelopes.filter((e) => e.deviceId === deviceId).flatMap((e) => e.readings.filter((r) => r.field === field))

  test('every payload should decode into readings with nothing refused', () => {
    expect(rejected).toEqual([])
    expect(envelopes).toHaveLength(messages)
    expect(new Set(envelopes.map((e) => e.format))).toEqual(new Set(['ngsi-ld', 'senml', 'iota-json', 'ultralight']))
  })

  test('readings should carry the observation time, never later than their receipt', () => {
    for (const e of envelopes) for (const r of e.readings) expect(r.time).toBe(e.receivedAt - 1000)
  })

  test('every measurement of the data models in use should be fed, in canonical units', () => {
    const fields = new Set(envelopes.flatMap((e) => e.readings.map((r) => `${r.measurement}.${r.field}`)))
    for (const f of [
      'waste_container.filling_level',
      'waste_container.temperature_c',
      'waste_container.cargo_weight_kg',
      'waste_container.status',
      'device_health.battery_level',
      'energy_ac.total_active_energy_import_kwh',
      'energy_ac.total_active_power_w',
      'utility_meter.total_consumption_kwh',
      'utility_meter.total_consumption_m3',
      'waste_weighing.net_weight_kg',
      'waste_weighing.direction',
      'waste_weighing.destination',
      'waste_weighing.waste_code',
    ])
      expect(fields, f).toContain(f)
  })

  test('the incidents should show in the canonical readings: fire, overflow, low battery, counter reset', () => {
    const burning = readingsOf(idOf('burning'), 'status').filter((r) => r.value === 'burning')
    expect(burning.length).toBeGreaterThan(5)
    expect(Math.max(...readingsOf(idOf('burning'), 'temperature_c').map((r) => r.value as number))).toBeGreaterThan(100)

    const overflowing = readingsOf(idOf('overflowing'), 'filling_level').map((r) => r.value)
    expect(overflowing.at(-1)).toBe(1)

    const battery = readingsOf(idOf('weak-battery'), 'battery_level').map((r) => r.value as number)
    expect(battery[0]).toBeGreaterThan(0.25)
    expect(battery.at(-1)).toBeLessThan(0.15)

    const register = readingsOf(idOf('swapped-meter'), 'total_active_energy_import_kwh').map((r) => r.value as number)
    expect(register.filter((kwh, i) => i > 0 && kwh < register[i - 1]!)).toHaveLength(1)
  })

  test('the weighbridge should send material to every destination', () => {
    expect(new Set(envelopes.flatMap((e) => e.readings.filter((r) => r.field === 'destination').map((r) => r.value)))).toEqual(new Set(flowDestinations))
  })

  test('collections should empty the street containers on their rounds', () => {
    const regular = plans.filter((p) => p.kind === 'waste_container' && p.role === 'regular')
    const emptied = regular.filter((p) => {
      const fill = readingsOf(p.id, 'filling_level').map((r) => r.value as number)
      return fill.some((f, i) => i > 0 && fill[i - 1]! - f >= 0.3 && f <= 0.25)
    })
    expect(emptied.length).toBeGreaterThan(regular.length / 2)
  })
})

describe('containerStep', () => {
  const fireAt = start + 5 * hour
  test('should report every 15 minutes, 2 minutes after a fire starts, then every 2 minutes while it burns and cools', () => {
    expect(containerStep(start, undefined)).toBe(reportIntervalMs)
    expect(containerStep(fireAt - 10 * 60_000, fireAt)).toBe(12 * 60_000)
    expect(containerStep(fireAt + 2 * 60_000, fireAt)).toBe(fireReportIntervalMs)
    expect(containerStep(fireAt + 3 * hour, fireAt)).toBe(reportIntervalMs)
  })
})
