/**
 * Micro-benchmarks of the per-reading work in the processors, one core each: the decoders per
 * payload format (`decodePayload`), line protocol (`encodePoints`), and the sink's and
 * normaliser's JSON and validation steps, and the footprint processor in steady state with five
 * weeks of history per device. Figures are per core; the pipeline runs each on its own event loop.
 */
import { performance } from 'node:perf_hooks'
import { encodePoints } from '../core/store/line-protocol.js'
import type { Point } from '../core/store/store.js'
import { decodePayload } from '../models/decode.js'
import type { DecodeContext } from '../models/decoding.js'
import { readingEnvelope, type ReadingEnvelope } from '../models/reading.js'
import { envelopeToPoints } from '../processors/points.js'
import { runFootprintSteadyState, type SteadyStateResult } from './footprint-steady.js'

const receivedAt = Date.parse('2025-03-04T09:16:00Z')
const observedAt = '2025-03-04T09:15:00Z'
const deviceId = 'bin-0042'
const bt = Date.parse(observedAt) / 1000

interface Case {
  readonly name: string
  readonly format: DecodeContext['format']
  readonly topic: string
  readonly payload: string
}

const cases: Case[] = [
  { name: 'SenML, 1 record', format: 'senml', topic: `devices/${deviceId}/senml`, payload: JSON.stringify([{ bn: `urn:dev:${deviceId}:`, bt, n: 'temperature', u: 'Cel', v: 21.4 }]) },
  {
    name: 'SenML pack, 10 records',
    format: 'senml',
    topic: `devices/${deviceId}/senml`,
    payload: JSON.stringify([{ bn: `urn:dev:${deviceId}:`, bt, bu: 'Cel', n: 'temperature', v: 21.4 }, ...Array.from({ length: 9 }, (_, i) => ({ n: 'temperature', t: (i + 1) / 1000, v: 21.5 + i / 10 }))]),
  },
  {
    name: 'NGSI-LD normalized, 4 attributes',
    format: 'ngsi-ld',
    topic: `devices/${deviceId}/ngsi-ld`,
    payload: JSON.stringify({
      id: 'urn:ngsi-ld:WasteContainer:antwerp:bin-0042',
      type: 'WasteContainer',
      fillingLevel: { type: 'Property', value: 0.72, unitCode: 'C62', observedAt },
      cargoWeight: { type: 'Property', value: 38.5, unitCode: 'KGM', observedAt },
      temperature: { type: 'Property', value: 21.4, unitCode: 'CEL', observedAt },
      status: { type: 'Property', value: 'ok', observedAt },
    }),
  },
  {
    name: 'NGSI-LD keyValues, 4 attributes',
    format: 'ngsi-ld',
    topic: `devices/${deviceId}/ngsi-ld`,
    payload: JSON.stringify({ id: 'urn:ngsi-ld:WasteContainer:antwerp:bin-0042', type: 'WasteContainer', fillingLevel: 0.72, cargoWeight: 38.5, temperature: 21.4, status: 'ok', dateObserved: observedAt }),
  },
  { name: 'IoT Agent JSON, 3 measures', format: 'iota-json', topic: `/json/antwerp/${deviceId}/attrs`, payload: JSON.stringify({ fillingLevel: 0.72, temperature: 21.4, cargoWeight: 38.5, TimeInstant: observedAt }) },
  { name: 'Ultralight 2.0, 3 measures', format: 'ultralight', topic: `/ul/antwerp/${deviceId}/attrs`, payload: `${observedAt}|fillingLevel|0.72|temperature|21.4|cargoWeight|38.5` },
]

export interface MicroResult {
  readonly name: string
  readonly bytes: number
  readonly readingsPerMessage: number
  readonly messagesPerSecond: number
  readonly readingsPerSecond: number
  readonly microsPerReading: number
}

/** Runs `work` repeatedly for about `ms` after a warm-up and returns calls per second. */
function rate(work: () => void, ms = 500): number {
  const until = performance.now() + 150
  while (performance.now() < until) work()
  let calls = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    for (let i = 0; i < 200; i++) work()
    calls += 200
    now = performance.now()
  }
  return (calls * 1000) / (now - start)
}

function result(name: string, bytes: number, readingsPerMessage: number, messagesPerSecond: number): MicroResult {
  const readingsPerSecond = messagesPerSecond * readingsPerMessage
  return {
    name,
    bytes,
    readingsPerMessage,
    messagesPerSecond: Math.round(messagesPerSecond),
    readingsPerSecond: Math.round(readingsPerSecond),
    microsPerReading: Math.round((1e6 / readingsPerSecond) * 100) / 100,
  }
}

export async function runMicro(log: (line: string) => void): Promise<{ decoders: MicroResult[]; pipelineSteps: MicroResult[]; footprintSteadyState: SteadyStateResult[] }> {
  const decoders: MicroResult[] = []
  const envelopes: ReadingEnvelope[] = []
  for (const c of cases) {
    const bytes = Buffer.from(c.payload)
    const ctx: DecodeContext = { deviceId, kind: 'waste_container', format: c.format, topic: c.topic, receivedAt, maxFutureSkewMs: 300_000 }
    const sample = decodePayload(bytes, ctx)
    if (sample.readings.length === 0 || sample.rejections.length > 0) throw new Error(`${c.name}: the sample payload does not decode cleanly: ${JSON.stringify(sample.rejections)}`)
    decoders.push(result(`decodePayload: ${c.name}`, bytes.length, sample.readings.length, rate(() => decodePayload(bytes, ctx))))
    envelopes.push({
      schema: 'circular.readings/v1',
      tenant: 'antwerp',
      site: 'depot-north',
      deviceId,
      kind: 'waste_container',
      format: c.format,
      receivedAt,
      source: { topic: 'telemetry.raw', partition: 0, offset: '12345' },
      readings: sample.readings,
    })
  }

  // What the normaliser and the sink do per record besides decoding, for the SenML single and pack cases.
  const pipelineSteps: MicroResult[] = []
  for (const [label, envelope] of [['1 reading', envelopes[0]!], ['10 readings', envelopes[1]!]] as const) {
    const n = envelope.readings.length
    const json = JSON.stringify(envelope)
    const value = Buffer.from(json)
    const points: Point[] = envelopeToPoints(envelope).map((p) => p.point)
    pipelineSteps.push(result(`normaliser: JSON.stringify envelope (${label})`, json.length, n, rate(() => Buffer.from(JSON.stringify(envelope)))))
    pipelineSteps.push(result(`sink: JSON.parse envelope (${label})`, json.length, n, rate(() => JSON.parse(value.toString('utf8')) as unknown)))
    const parsed: unknown = JSON.parse(json)
    pipelineSteps.push(result(`sink: readingEnvelope.safeParse (zod) (${label})`, json.length, n, rate(() => readingEnvelope.safeParse(parsed))))
    pipelineSteps.push(result(`sink: envelopeToPoints (${label})`, json.length, n, rate(() => envelopeToPoints(envelope))))
    const batch = Array.from({ length: 500 }, () => points).flat()
    pipelineSteps.push(result(`encodePoints (line protocol), batches of ${batch.length} points`, 0, batch.length, rate(() => encodePoints(batch))))
  }

  log('readings per second per core (one thread):')
  for (const r of [...decoders, ...pipelineSteps]) log(`  ${r.name.padEnd(62)} ${String(r.readingsPerSecond).padStart(10)} readings/s  ${String(r.microsPerReading).padStart(6)} µs/reading`)
  const footprintSteadyState = await runFootprintSteadyState(log)
  return { decoders, pipelineSteps, footprintSteadyState }
}
