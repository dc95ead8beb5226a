/**
 * `npm run bench -- --recovery`: how long the pipeline needs to make progress again after the
 * faults a city meets, on the local Kafka (which it kills). The normaliser, the store sink and the
 * footprint processor run in their own processes while the orchestrator feeds raw records at a
 * steady rate through the platform's own ingest; every 100 ms it reads each group's committed
 * offsets per partition. It measures:
 *
 * - Kafka killed with SIGKILL and started again: from the moment the restarted broker answers
 *   until each group commits again, and until it has caught up with what waited;
 * - a footprint processor killed and started again under the same `KAFKA_INSTANCE_ID` (static
 *   membership): from the kill until every partition of the group commits again;
 * - one of two footprint instances (dynamic membership) killed: from the kill until the survivor
 *   commits on every partition (bounded by `KAFKA_SESSION_TIMEOUT_MS`).
 *
 * Not run in CI: it kills the shared Kafka.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Admin } from '@platformatic/kafka'
import { KafkaBus } from '../core/bus/kafka-bus.js'
import { pipelineTopics } from '../core/bus/topics.js'
import { loadConfig } from '../core/config.js'
import { createLogger } from '../core/logger.js'
import { FileRegistry } from '../core/registry/file-registry.js'
import { Ingest } from '../ingest/ingest.js'
import { groupIds } from '../processors/group-ids.js'
import { fleetFor, generateSecret, writeRegistry, writeTenants } from './e2e/devices.js'
import { benchIds, kafkaBrokers, pipelineEnv } from './e2e/env.js'
import { KafkaWatch } from './e2e/kafka-watch.js'
import { buildPayload, DeviceClock } from './e2e/payloads.js'
import type { Component } from './e2e/processes.js'
import { startComponent } from './e2e/processes.js'
import { describeMachine, type Machine } from './report/machine.js'

const repoRoot = new URL('../', import.meta.url).pathname
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export interface RecoveryResult {
  readonly fault: string
  /** Seconds from the reference moment (named in `from`) until every watched group committed again. */
  readonly progressAfterSeconds: Record<string, number | null>
  /** Seconds from the same moment until the group's lag was back under one second of feed. */
  readonly caughtUpAfterSeconds: Record<string, number | null>
  readonly from: string
}

export async function runRecovery(log: (line: string) => void, options: { devices: number; ratePerDevice: number }): Promise<{ machine: Machine; settings: Record<string, unknown>; results: RecoveryResult[] }> {
  const ids = benchIds()
  const runDir = mkdtempSync(join(tmpdir(), `circular-recovery-${ids.runId}-`))
  const logDir = join(runDir, 'logs')
  mkdirSync(logDir)
  const registryFile = join(runDir, 'registry.json')
  const env = pipelineEnv(ids, registryFile, runDir)
  const config = loadConfig(env)
  const secret = generateSecret()
  const fleet = fleetFor(ids.runId, 'r', options.devices, secret)
  await writeRegistry(registryFile, [fleet], secret)
  writeTenants(join(runDir, 'tenants.json'), [fleet])
  const registry = new FileRegistry(registryFile)
  const logger = createLogger('error', 'bench')
  const bus = new KafkaBus(config.kafka, logger, { maxRecordBytes: config.bus.maxRecordBytes })
  await bus.ensureTopics(pipelineTopics(config.bus))
  const ingest = new Ingest(bus, config.bus.topics)
  const admin = new Admin({ clientId: `${ids.groupPrefix}-watch`, bootstrapBrokers: [kafkaBrokers], retries: 0 })
  const groups = { normaliser: [groupIds.normaliser(ids.groupPrefix), config.bus.topics.raw], 'store-sink': [groupIds.storeSink(ids.groupPrefix), config.bus.topics.readings], footprint: [groupIds.footprint(ids.groupPrefix), config.bus.topics.readings] } as const
  const components: Component[] = []
  const start = async (role: 'normaliser' | 'store-sink' | 'footprint', name: string, extra: Record<string, string> = {}): Promise<Component> => {
    const c = await startComponent(name, ['bin/circular.js', 'process', role], { ...env, ...extra }, logDir)
    components.push(c)
    return c
  }

  // The feed: every device one reading per tick through the platform's ingest; what Kafka refuses while it is down is simply not sent.
  const clocks = new Map(fleet.devices.map((d) => [d.id, new DeviceClock()]))
  let feeding = true
  let seq = 0
  const feed = (async () => {
    while (feeding) {
      const tick = Date.now()
      await Promise.all(
        fleet.devices.map(async (d) => {
          const device = registry.get(d.id)!
          const payload = buildPayload('single', d.id, clocks.get(d.id)!.take(1), seq++)
          await ingest.accept({ device, mqttTopic: `devices/${d.id}/senml`, format: 'senml', payload, receivedAt: Date.now() }).catch(() => undefined)
        }),
      )
      await sleep(Math.max(0, 1000 / options.ratePerDevice - (Date.now() - tick)))
    }
  })()

  /** Committed offset per partition of every watched group, or undefined while Kafka does not answer. */
  const committed = async (): Promise<Record<string, number[]> | undefined> => {
    try {
      const out: Record<string, number[]> = {}
      for (const [name, [groupId, topic]] of Object.entries(groups)) {
        const [group] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes: Array.from({ length: config.bus.partitions }, (_, i) => i) }] }] })
        out[name] = (group?.topics[0]?.partitions ?? []).sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => Number(p.committedOffset))
      }
      return out
    } catch {
      return undefined
    }
  }
  const ends = async (topic: string): Promise<number[] | undefined> => {
    try {
      const [listed] = await admin.listOffsets({ topics: [{ name: topic, partitions: Array.from({ length: config.bus.partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })) }] })
      return (listed?.partitions ?? []).sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => Number(p.offset))
    } catch {
      return undefined
    }
  }

  /** Watches from `t0` until every group committed past `baseline` on every partition and caught up, or `timeoutMs`. */
  const watchRecovery = async (fault: string, from: string, t0: number, baseline: Record<string, number[]>, watched: readonly (keyof typeof groups)[], timeoutMs = 120_000): Promise<RecoveryResult> => {
    const progress: Record<string, number | null> = Object.fromEntries(watched.map((g) => [g, null]))
    const caughtUp: Record<string, number | null> = Object.fromEntries(watched.map((g) => [g, null]))
    const feedPerPartitionSecond = (options.devices * options.ratePerDevice) / config.bus.partitions
    while (Date.now() - t0 < timeoutMs && watched.some((g) => caughtUp[g] === null)) {
      const now = await committed()
      if (now) {
        for (const g of watched) {
          const seconds = Math.round((Date.now() - t0) / 100) / 10
          if (progress[g] === null && now[g]!.every((offset, p) => offset > (baseline[g]![p] ?? -1))) progress[g] = seconds
          const end = await ends(groups[g][1])
          if (progress[g] !== null && caughtUp[g] === null && end && now[g]!.every((offset, p) => end[p]! - offset <= feedPerPartitionSecond)) caughtUp[g] = seconds
        }
      }
      await sleep(100)
    }
    const result = { fault, from, progressAfterSeconds: progress, caughtUpAfterSeconds: caughtUp }
    log(`${fault}: from ${from}, every partition committing again after ${JSON.stringify(progress)} s, caught up after ${JSON.stringify(caughtUp)} s`)
    return result
  }
  const steady = async (what: string): Promise<Record<string, number[]>> => {
    // Until every group commits on every partition, then a few seconds of steady state.
    for (let i = 0; ; i++) {
      const now = await committed()
      if (now && Object.values(now).every((ps) => ps.length === config.bus.partitions && ps.every((o) => o > 0))) break
      if (i > 600) throw new Error(`the pipeline did not reach steady state before ${what}`)
      await sleep(100)
    }
    await sleep(5000)
    return (await committed())!
  }

  const results: RecoveryResult[] = []
  try {
    await start('normaliser', 'normaliser')
    await start('store-sink', 'store-sink')
    let footprint = await start('footprint', 'footprint-a', { KAFKA_INSTANCE_ID: `${ids.groupPrefix}-footprint-a` })
    log(`run ${ids.runId}: ${options.devices} devices × ${options.ratePerDevice} readings/s through normaliser, sink and footprint; logs in ${logDir}`)

    // 1. Kafka SIGKILLed for 20 s and started again.
    let before = await steady('the Kafka restart')
    const pid = Number(readFileSync(join(repoRoot, '.local/kafka/kafka.pid'), 'utf8').trim())
    process.kill(pid, 'SIGKILL')
    log('Kafka killed (SIGKILL); starting it again in 20 s')
    await sleep(20_000)
    // Measured from the start of the restart: `services.sh up` returns only after its own readiness probe, by when the groups may be back already.
    const restarting = Date.now()
    const watching = watchRecovery('Kafka SIGKILLed for 20 s', 'the start of `services.sh up kafka`', restarting, before, ['normaliser', 'store-sink', 'footprint'])
    // Not execFileSync: the watch must go on reading offsets while the script waits for its probe.
    await promisify(execFile)('bash', ['deploy/local/services.sh', 'up', 'kafka'], { cwd: repoRoot })
    log(`services.sh up kafka returned after ${((Date.now() - restarting) / 1000).toFixed(1)} s`)
    results.push(await watching)

    // 2. The footprint processor SIGKILLed and started again under the same instance id.
    before = await steady('the footprint restart')
    footprint.process.kill('SIGKILL')
    const killed = Date.now()
    footprint = await start('footprint', 'footprint-a2', { KAFKA_INSTANCE_ID: `${ids.groupPrefix}-footprint-a` })
    results.push(await watchRecovery('footprint processor SIGKILLed, restarted with the same KAFKA_INSTANCE_ID', 'the kill', killed, before, ['footprint']))

    // 3. Two footprint instances without instance ids; one SIGKILLed, not restarted.
    footprint.process.kill('SIGTERM')
    await footprint.stop()
    await start('footprint', 'footprint-b')
    const doomed = await start('footprint', 'footprint-c')
    before = await steady('the footprint takeover')
    doomed.process.kill('SIGKILL')
    const killedAt = Date.now()
    results.push(await watchRecovery(`one of two footprint instances SIGKILLed (dynamic membership, session ${config.kafka.sessionTimeoutMs} ms)`, 'the kill', killedAt, before, ['footprint']))
  } finally {
    feeding = false
    await feed
    for (const c of components.reverse()) await c.stop()
    await bus.close().catch(() => undefined)
    await admin.close().catch(() => undefined)
    const cleanup = new KafkaWatch([kafkaBrokers], `${ids.groupPrefix}-cleanup`)
    await cleanup.deleteAll(ids.topicPrefix, ids.groupPrefix).catch(() => undefined)
    await cleanup.disconnect().catch(() => undefined)
    rmSync(runDir, { recursive: true, force: true })
  }
  return {
    machine: await describeMachine(),
    settings: { devices: options.devices, readingsPerSecond: options.devices * options.ratePerDevice, partitions: config.bus.partitions, sessionTimeoutMs: config.kafka.sessionTimeoutMs },
    results,
  }
}

export function recoveryMarkdown(r: Awaited<ReturnType<typeof runRecovery>>): string {
  const m = r.machine
  const cell = (v: number | null | undefined): string => (v === null || v === undefined ? 'not within 120 s' : String(v))
  return [
    '# circular recovery benchmark',
    '',
    `Machine: ${JSON.stringify(m)}`,
    `Settings: ${JSON.stringify(r.settings)}`,
    '',
    '| fault | measured from | group | every partition committing again after, s | caught up after, s |',
    '|---|---|---|--:|--:|',
    ...r.results.flatMap((x) => Object.keys(x.progressAfterSeconds).map((g) => `| ${x.fault} | ${x.from} | ${g} | ${cell(x.progressAfterSeconds[g])} | ${cell(x.caughtUpAfterSeconds[g])} |`)),
    '',
  ].join('\n')
}
