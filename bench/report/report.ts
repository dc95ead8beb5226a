import type { EndToEndResult } from '../e2e/orchestrator.js'
import { batchSettings } from '../e2e/env.js'
import { buildPayload, readingsPerMessage } from '../e2e/payloads.js'
import type { ScenarioResult } from '../e2e/scenario.js'
import type { BenchOptions } from '../options.js'
import { describeMachine, type Machine } from './machine.js'
import type { ProfileSummary } from './profiles.js'

export interface Report {
  readonly kind: BenchOptions['kind']
  readonly runId: string
  readonly finishedAt: string
  readonly durationSeconds: number
  readonly machine: Machine
  readonly settings: {
    /** `services`: separate processes on Kafka and InfluxDB; `embedded`: `circular start` alone. */
    readonly platform: 'services' | 'embedded'
    readonly devicesPerPath: number
    readonly generatorProcesses: number
    readonly windowPerConnection: number
    readonly qos: 1
    readonly mqttProtocol: '3.1.1'
    readonly maxSeconds: number
    readonly warmupSeconds: number
    readonly rateSeconds: number
    readonly probeHz: number
    readonly pollMs: number
    readonly bridges: readonly number[]
    readonly mosquitto: string
    readonly kafka: ReturnType<typeof batchSettings>
  }
  readonly payloads: Record<string, { format: string; bytes: number; readingsPerMessage: number }>
  readonly scenarios: ScenarioResult[]
  /**
   * Per payload mode, the end-to-end aedes path's stored readings/s divided by: the bare broker's
   * acknowledged readings/s (a fraction of what the broker alone can do), Node-RED's stored
   * readings/s, and the best Mosquitto + bridge's. Ratios hold across machines better than rates.
   */
  readonly ratios: Record<string, Partial<Record<RatioPeer, number>>>
  readonly peakMemory: EndToEndResult['peakMemory']
  readonly profiles?: ProfileSummary[]
  readonly problems: string[]
  readonly ok: boolean
  readonly failures: string[]
}

export async function buildReport(options: BenchOptions, result: EndToEndResult, durationSeconds: number, profiles?: ProfileSummary[]): Promise<Report> {
  const sampleId = `bench-${result.ids.runId}-a-0000`
  const failures = [
    ...result.scenarios.filter((s) => !s.reconciliation.ok).map((s) => `${s.path} ${s.payload}: ${s.reconciliation.differences.join('; ')}`),
    ...result.problems,
  ]
  if (result.scenarios.length === 0) failures.push('no scenario ran')
  return {
    kind: options.kind,
    runId: result.ids.runId,
    finishedAt: new Date().toISOString(),
    durationSeconds: Math.round(durationSeconds),
    machine: await describeMachine(),
    settings: {
      platform: options.embedded ? 'embedded' : 'services',
      devicesPerPath: options.devices,
      generatorProcesses: options.generators,
      windowPerConnection: options.window,
      qos: 1,
      mqttProtocol: '3.1.1',
      maxSeconds: options.maxSeconds,
      warmupSeconds: options.warmupSeconds,
      rateSeconds: options.rateSeconds,
      probeHz: options.probeHz,
      pollMs: options.pollMs,
      bridges: options.bridges,
      mosquitto: result.mosquitto,
      kafka: batchSettings(options.embedded ? 'embedded' : 'influxdb'),
    },
    payloads: {
      single: { format: 'SenML JSON, 1 record', bytes: buildPayload('single', sampleId, Date.now(), 0).length, readingsPerMessage: readingsPerMessage.single },
      pack: { format: 'SenML JSON pack, 10 records', bytes: buildPayload('pack', sampleId, Date.now(), 0).length, readingsPerMessage: readingsPerMessage.pack },
    },
    scenarios: result.scenarios,
    ratios: ratios(result.scenarios),
    peakMemory: result.peakMemory,
    ...(profiles ? { profiles } : {}),
    problems: result.problems,
    ok: failures.length === 0,
    failures,
  }
}

export type RatioPeer = 'bare broker' | 'Node-RED' | 'Mosquitto + bridge'

const peersOf: Record<RatioPeer, (path: string) => boolean> = {
  'bare broker': (path) => path === 'aedes-bare',
  'Node-RED': (path) => path === 'node-red',
  'Mosquitto + bridge': (path) => path.startsWith('mosquitto+bridge'),
}

function ratios(scenarios: readonly ScenarioResult[]): Record<string, Partial<Record<RatioPeer, number>>> {
  const out: Record<string, Partial<Record<RatioPeer, number>>> = {}
  for (const mode of ['single', 'pack']) {
    const aedes = scenarios.find((s) => s.path === 'aedes' && s.payload === mode)?.max.storedReadingsPerSec
    const row: Partial<Record<RatioPeer, number>> = {}
    for (const [peer, matches] of Object.entries(peersOf) as [RatioPeer, (path: string) => boolean][]) {
      const best = Math.max(0, ...scenarios.filter((s) => matches(s.path) && s.payload === mode).map((s) => s.max.storedReadingsPerSec))
      // Below 1 the ratio needs two decimals: end to end ÷ bare broker is a fraction.
      if (aedes !== undefined && best > 0) row[peer] = Math.round((aedes / best) * 100) / 100
    }
    out[mode] = row
  }
  return out
}
