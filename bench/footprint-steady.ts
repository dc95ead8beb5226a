/**
 * The footprint processor in steady state: devices that have reported for five weeks (hourly
 * history of a meter for the energy anomaly, a container's fill fit, open rollup windows, the
 * message identities within the allowed lateness), then one more record each. Reports µs per
 * record for the processor's own work (parse, repeat check, derivations, state serialisation):
 * its outputs go to the batch context and are counted, not written, so no bus I/O is timed.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { BatchContext, IncomingRecord } from '../core/bus/bus.js'
import { EmbeddedBus } from '../core/bus/embedded-bus.js'
import { pipelineTopics } from '../core/bus/topics.js'
import { loadConfig } from '../core/config.js'
import { createLogger } from '../core/logger.js'
import type { ReadingEnvelope } from '../models/reading.js'
import { FootprintProcessor } from '../processors/footprint/footprint-processor.js'

const hour = 3_600_000
const weeks = 5

export interface SteadyStateResult {
  readonly name: string
  readonly devices: number
  readonly historyRecordsPerDevice: number
  /** The serialised state of one device after its history (bytes of JSON). */
  readonly stateBytesPerDevice: number
  readonly recordsPerBatch: number
  readonly microsPerRecord: number
}

interface Kind {
  readonly name: string
  /** Interval between a device's records. */
  readonly everyMs: number
  readonly envelope: (deviceId: string, i: number, time: number) => ReadingEnvelope
}

const base = (deviceId: string, kind: ReadingEnvelope['kind'], time: number, i: number): Omit<ReadingEnvelope, 'readings'> => ({
  schema: 'circular.readings/v1',
  tenant: 'bench',
  site: 'site-1',
  deviceId,
  kind,
  format: 'senml',
  receivedAt: time,
  source: { topic: 'telemetry.raw', partition: 0, offset: String(i) },
})

const kinds: Kind[] = [
  {
    name: 'energy meter, a register reading every 15 min',
    everyMs: hour / 4,
    envelope: (deviceId, i, time) => ({
      ...base(deviceId, 'energy_meter', time, i),
      readings: [{ attribute: 'totalActiveEnergyImport', measurement: 'energy_ac', field: 'total_active_energy_import_kwh', value: 10_000 + i * (2 + (i % 7) / 10), unit: 'kWh', time }],
    }),
  },
  {
    name: 'waste container, fill and temperature every 15 min',
    everyMs: hour / 4,
    envelope: (deviceId, i, time) => ({
      ...base(deviceId, 'waste_container', time, i),
      fraction: 'paper',
      readings: [
        // Fills over about four days, then is emptied.
        { attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value: (i % 384) / 400, unit: 'ratio', time },
        { attribute: 'temperature', measurement: 'waste_container', field: 'temperature_c', value: 12 + (i % 20) / 2, unit: 'Cel', time },
      ],
    }),
  },
]

export async function runFootprintSteadyState(log: (line: string) => void, devices = 20): Promise<SteadyStateResult[]> {
  const results: SteadyStateResult[] = []
  for (const kind of kinds) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-footprint-'))
    const config = loadConfig({ CIRCULAR_STATE_DIR: dir, CIRCULAR_LOG_LEVEL: 'error' })
    if (config.bus.kind !== 'embedded') throw new Error('the steady-state bench runs on the embedded bus')
    const bus = new EmbeddedBus({ path: config.bus.path, retentionMs: config.bus.retentionMs, partitions: 1, maxRecordBytes: config.bus.maxRecordBytes }, createLogger('error', 'bench'))
    try {
      await bus.ensureTopics(pipelineTopics(config.bus))
      const processor = new FootprintProcessor({ config, bus, logger: createLogger('error', 'bench') })
      const stateBytes = new Map<string, number>()
      const context: BatchContext = {
        heartbeat: async () => undefined,
        isActive: () => true,
        publish: (records) => {
          for (const r of records) if (r.topic === config.bus.topics.footprintState) stateBytes.set(r.key, r.value.length)
        },
      }
      let offset = 0
      const history = Math.round((weeks * 7 * 24 * hour) / kind.everyMs)
      const start = Date.parse('2026-10-01T00:00:00Z')
      const record = (device: number, i: number): IncomingRecord => {
        const deviceId = `dev-${device}`
        const time = start + i * kind.everyMs
        return { topic: config.bus.topics.readings, partition: 0, offset: String(offset++), key: deviceId, value: Buffer.from(JSON.stringify(kind.envelope(deviceId, i, time))), headers: {}, timestamp: time }
      }
      // Five weeks of history, a day of every device per batch.
      const perDay = Math.round((24 * hour) / kind.everyMs)
      for (let day = 0; day * perDay < history; day++) {
        const batch: IncomingRecord[] = []
        for (let d = 0; d < devices; d++) for (let i = day * perDay; i < Math.min(history, (day + 1) * perDay); i++) batch.push(record(d, i))
        await processor.handleBatch(batch, context)
      }
      const stateBytesPerDevice = Math.round([...stateBytes.values()].reduce((a, b) => a + b, 0) / Math.max(1, stateBytes.size))

      // Steady state: the next records, as a quiet city delivers them (a batch per record) and as a busy one does (a device's records batched).
      let next = history
      for (const recordsPerBatch of [1, 16]) {
        const batches: IncomingRecord[][] = []
        for (let round = 0; round < Math.ceil(400 / recordsPerBatch); round++) {
          for (let d = 0; d < devices; d++) batches.push(Array.from({ length: recordsPerBatch }, (_, k) => record(d, next + k)))
          next += recordsPerBatch
        }
        const warm = batches.splice(0, Math.min(devices, batches.length))
        for (const b of warm) await processor.handleBatch(b, context)
        const t0 = performance.now()
        for (const b of batches) await processor.handleBatch(b, context)
        const records = batches.length * recordsPerBatch
        const microsPerRecord = Math.round((((performance.now() - t0) * 1000) / records) * 10) / 10
        results.push({ name: kind.name, devices, historyRecordsPerDevice: history, stateBytesPerDevice, recordsPerBatch, microsPerRecord })
        log(`  footprint steady state: ${kind.name}, ${weeks} weeks of history (${stateBytesPerDevice} B of state per device), ${recordsPerBatch} record(s) per batch: ${microsPerRecord} µs per record`)
      }
    } finally {
      await bus.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }
  return results
}
