import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { pipelineTopics } from '../../core/bus/topics.js'
import { loadConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import type { BenchOptions } from '../options.js'
import { fleetFor, generateSecret, writeRegistry, writeTenants, type Fleet } from './devices.js'
import { benchIds, influxUrl, kafkaBrokers, pipelineEnv, type BenchIds } from './env.js'
import { GeneratorPool } from './generator-pool.js'
import { InfluxWatch } from './influx-watch.js'
import { KafkaWatch } from './kafka-watch.js'
import { discardSessions, freePort, startMosquitto, type RunningMosquitto } from './mosquitto.js'
import { readingsPerMessage, type PayloadMode } from './payloads.js'
import { nodeArgs, startBridgeProcess, startBroker, startProcessor, type PipelineLaunch } from './pipeline.js'
import { startComponent } from './processes.js'
import { ensureNodeRed, startNodeRed } from './node-red.js'
import { LatencyProbe } from './probe.js'
import { ProcWatch } from './proc-stats.js'
import type { Component } from './processes.js'
import { onInterrupt } from './teardown.js'
import { groupIds } from '../../processors/group-ids.js'
import { ScenarioRunner, type PathUnderTest, type PipelineWatch, type ScenarioResult } from './scenario.js'

export interface EndToEndResult {
  readonly ids: BenchIds
  readonly scenarios: ScenarioResult[]
  readonly peakMemory: ReturnType<ProcWatch['peaks']>
  /** What went wrong outside the reconciliation (connection drops, failed publishes, crashes). */
  readonly problems: string[]
  readonly runDir: string
  readonly profileDir?: string
  /** `private`, or the URL of the external Mosquitto that was used. */
  readonly mosquitto: string
}

/** Backlog caps: aedes back-pressures by itself; Mosquitto drops beyond 1000 queued per client. */
const aedesBacklogReadings = 60_000
const mosquittoBacklogPerBridge = 500

const repoRoot = new URL('../../', import.meta.url).pathname

/**
 * The end-to-end run: the pipeline in separate processes on the shared Kafka and InfluxDB, fed
 * first through the aedes broker and then through Mosquitto + bridge, with the same fleet size,
 * payloads and phases. Everything it creates carries the run id and is removed at the end.
 */
export async function runEndToEnd(options: BenchOptions, log: (line: string) => void): Promise<EndToEndResult> {
  const ids = benchIds()
  const runDir = mkdtempSync(join(tmpdir(), `circular-bench-${ids.runId}-`))
  const logDir = join(runDir, 'logs')
  mkdirSync(logDir)
  const profileDir = options.kind === 'profile' ? join(runDir, 'profiles') : undefined
  const registryFile = join(runDir, 'registry.json')
  const env = pipelineEnv(ids, registryFile, runDir)
  const config = loadConfig(env)
  const launch: PipelineLaunch = { env, logDir, ...(profileDir ? { profileDir } : {}) }
  const problems: string[] = []
  const scenarios: ScenarioResult[] = []
  const components: Component[] = []
  const procs = new ProcWatch()
  const kafka = new KafkaWatch([kafkaBrokers], `${ids.groupPrefix}-watch`)
  const influx = new InfluxWatch(influxUrl, ids.database)
  let pool: GeneratorPool | undefined
  let mosquitto: RunningMosquitto | undefined
  const bridgeSessions: { url: string; clientId: string }[] = []

  const secret = generateSecret()
  const aedesFleet = fleetFor(ids.runId, 'a', options.devices, secret)
  const peerFleets = new Map(options.bridges.map((k) => [k, fleetFor(ids.runId, `m${k}`, options.devices, secret)]))
  const bareFleet = fleetFor(ids.runId, 'b', options.devices, secret)
  const nodeRedFleet = fleetFor(ids.runId, 'nr', options.devices, secret)
  const fleets = [aedesFleet, ...peerFleets.values(), bareFleet, nodeRedFleet]
  // A connection of its own: the run's may be closing at the same moment.
  onInterrupt(async () => {
    const admin = new KafkaWatch([kafkaBrokers], `${ids.groupPrefix}-cleanup`)
    await Promise.allSettled([admin.connect().then(() => admin.deleteAll(ids.topicPrefix, ids.groupPrefix)), influx.dropDatabase()])
    await admin.disconnect().catch(() => undefined)
  })
  log(`run ${ids.runId}: ${options.devices} devices per path, ${options.generators} generator process(es), window ${options.window}; logs in ${logDir}`)

  try {
    await writeRegistry(registryFile, fleets, secret)
    // CIRCULAR_STATE_DIR is the run directory, so the pipeline reads its tenants file from there.
    writeTenants(join(runDir, 'tenants.json'), fleets)
    await kafka.connect()
    const bus = new KafkaBus(config.kafka, createLogger('warn', 'bench'))
    await bus.ensureTopics(pipelineTopics(config.bus))
    await bus.close()

    procs.add('orchestrator', process.pid)
    procs.add('kafka', pidFromFile('.local/kafka/kafka.pid'))
    procs.add('influxd', pidFromFile('.local/influxdb/influxd.pid'))
    procs.start()

    const brokerPort = await freePort()
    const started = await Promise.all([
      startProcessor(launch, 'normaliser'),
      startProcessor(launch, 'store-sink'),
      options.skipAedes ? undefined : startBroker(launch, brokerPort),
      options.skipPeer || options.mosquittoUrl ? undefined : freePort().then((port) => startMosquitto(port, runDir)),
    ])
    const [normaliser, sink, broker, privateMosquitto] = started
    components.push(normaliser, sink, ...(broker ? [broker] : []))
    for (const c of components) procs.add(c.name, c.pid)
    mosquitto = privateMosquitto
    if (mosquitto) procs.add('mosquitto', mosquitto.pid)
    const mosquittoUrl = options.mosquittoUrl ?? mosquitto?.url

    // The run id in the environment lets a test find processes the run left behind.
    pool = new GeneratorPool(options.generators, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, 'generator')}`] : [], { BENCH_RUN: ids.groupPrefix })
    pool.pids.forEach((pid, i) => procs.add(`generator-${i}`, pid))
    const runner = new ScenarioRunner({ options, procs, watch: servicesWatch(kafka, influx, config.bus.topics, groupIds.storeSink(ids.groupPrefix)) })

    // What the path running now has had acknowledged, probes included: the only upstream count of a path without a bus.
    let activePath: { probe: LatencyProbe; ackedBefore: number } | undefined
    const pathAcked = (): number => (activePath ? pool!.acked - activePath.ackedBefore + activePath.probe.acked : 0)
    const runPath = async (name: string, fleet: Fleet, url: string, credentials: boolean, cap: (mode: PayloadMode) => number, quick: boolean, pathRunner = runner): Promise<void> => {
      const connectMs = await pool!.connect(url, fleet.devices, credentials, options.window)
      const probe = new LatencyProbe(fleet.probe, influx)
      await probe.connect(url, credentials)
      activePath = { probe, ackedBefore: pool!.acked }
      log(`${name}: ${fleet.devices.length} devices connected in ${connectMs} ms`)
      const path: PathUnderTest = { name, pool: pool!, probe, tenant: fleet.tenant, backlogCap: cap }
      try {
        for (const mode of options.payloads) {
          const result =
            options.kind === 'smoke' ? await pathRunner.smoke(path, mode, mode === 'single' ? 100 : 20, mode === 'single' ? 200 : 40) : await pathRunner.run(path, mode, quick)
          scenarios.push(result)
          log(describe(result))
        }
      } finally {
        await probe.close()
        const totals = await pool!.disconnect()
        if (totals.failed > 0) problems.push(`${name}: ${totals.failed} publishes failed`)
      }
    }

    if (broker) {
      await runPath('aedes', aedesFleet, `mqtt://127.0.0.1:${brokerPort}`, true, (mode) => Math.ceil(aedesBacklogReadings / readingsPerMessage[mode]), false)
    }
    if (options.bare) {
      // The same broker and checks, publishes handed to nothing: what it acknowledges is all there is to count.
      const port = await freePort()
      const bare = await startComponent('bare-broker', nodeArgs(launch, 'bare-broker', ['--import', 'tsx', 'bench/e2e/bare-broker.ts']), { ...env, MQTT_PORT: String(port) }, logDir)
      procs.add(bare.name, bare.pid)
      try {
        await runPath('aedes-bare', bareFleet, `mqtt://127.0.0.1:${port}`, true, (mode) => Math.ceil(aedesBacklogReadings / readingsPerMessage[mode]), true, new ScenarioRunner({ options, procs, watch: countsOnly(pathAcked) }))
      } finally {
        await bare.stop()
        procs.remove(bare.name)
      }
    }
    if (mosquittoUrl && options.nodeRed) {
      const red = ensureNodeRed(log)
      const broker = new URL(mosquittoUrl)
      const influxAt = new URL(influxUrl)
      const nodeRed = await startNodeRed(red, {
        mqtt: { host: broker.hostname, port: Number(broker.port || 1883), clientId: `${ids.groupPrefix}-node-red` },
        influx: { host: influxAt.hostname, port: Number(influxAt.port || 8086), database: ids.database },
        tenant: nodeRedFleet.tenant,
        userDir: join(runDir, 'node-red'),
        logDir,
        uiPort: await freePort(),
      })
      procs.add(nodeRed.name, nodeRed.pid)
      try {
        await runPath('node-red', nodeRedFleet, mosquittoUrl, false, () => mosquittoBacklogPerBridge, false, new ScenarioRunner({ options, procs, watch: storeOnlyWatch(influx, nodeRedFleet.tenant, pathAcked) }))
      } finally {
        await nodeRed.stop()
        procs.remove(nodeRed.name)
      }
    }
    if (mosquittoUrl) {
      const largest = Math.max(...options.bridges)
      for (const k of options.bridges) {
        const shareGroup = k > 1 ? `${ids.groupPrefix}-share` : undefined
        const bridges = await Promise.all(
          Array.from({ length: k }, (_, i) => {
            const clientId = `${ids.groupPrefix}-bridge-${k}-${i}`
            bridgeSessions.push({ url: mosquittoUrl, clientId })
            return startBridgeProcess(launch, `bridge-${k}x-${i}`, mosquittoUrl, clientId, shareGroup)
          }),
        )
        bridges.forEach((b) => procs.add(b.name, b.pid))
        try {
          await runPath(`mosquitto+bridge×${k}`, peerFleets.get(k)!, mosquittoUrl, false, () => mosquittoBacklogPerBridge * k, k !== largest)
        } finally {
          await Promise.all(bridges.map((b) => b.stop()))
          bridges.forEach((b) => procs.remove(b.name))
          await discardSessions(mosquittoUrl, bridgeSessions.splice(0).map((s) => s.clientId))
        }
      }
    }
  } catch (error) {
    problems.push(`run aborted: ${(error as Error).message}`)
  } finally {
    if (pool) problems.push(...pool.problems)
    procs.stop()
    await pool?.close()
    for (const c of components.reverse()) {
      await c.stop()
      if (c.process.exitCode !== 0 && c.process.exitCode !== null) problems.push(`${c.name} exited with code ${c.process.exitCode}`)
    }
    await mosquitto?.stop()
    if (bridgeSessions.length > 0) await discardSessions(bridgeSessions[0]!.url, bridgeSessions.map((s) => s.clientId)).catch(() => undefined)
    const removed = await kafka.deleteAll(ids.topicPrefix, ids.groupPrefix).catch((error: unknown) => {
      problems.push(`could not delete the run's topics: ${(error as Error).message}`)
      return { topics: [], groups: [] }
    })
    await kafka.disconnect().catch(() => undefined)
    await influx.dropDatabase().catch((error: unknown) => problems.push(`could not drop ${ids.database}: ${(error as Error).message}`))
    log(`cleaned up: ${removed.topics.length} topics, ${removed.groups.length} consumer groups, database ${ids.database}`)
    if (!options.keepLogs && problems.length === 0 && scenarios.every((s) => s.reconciliation.ok)) rmSync(runDir, { recursive: true, force: true })
  }
  return { ids, scenarios, peakMemory: procs.peaks(), problems, runDir, ...(profileDir ? { profileDir } : {}), mosquitto: options.mosquittoUrl ?? 'private' }
}

/**
 * A path without a bus: every hop is what the broker acknowledged (the probe's included, through
 * `acked`), and stored readings are acknowledged ones. Reconciles published = acknowledged only.
 */
function countsOnly(acked: () => number): PipelineWatch {
  let perMessage = 1
  const hops = (readingsPerMessage: number) => {
    perMessage = readingsPerMessage
    const a = acked()
    return { raw: a, readingsRecords: a, deadLetters: 0, sinkCommitted: a }
  }
  return { hops: async (n) => hops(n), progress: async (n) => hops(n), stored: async () => acked() * perMessage }
}

/** A peer that writes InfluxDB itself (Node-RED): acknowledged messages are its only earlier hop; stored ones are counted in InfluxDB. */
function storeOnlyWatch(influx: InfluxWatch, tenant: string, acked: () => number): PipelineWatch {
  // Stored messages, counted from stored readings: earlier scenarios (drained) had another number of readings per message.
  let mode = { perMessage: 0, readingsBefore: 0, messagesBefore: 0 }
  const hops = async (readingsPerMessage: number) => {
    const [stored, a] = [await influx.count(tenant), acked()]
    if (readingsPerMessage !== mode.perMessage) {
      const messages = mode.perMessage === 0 ? 0 : mode.messagesBefore + Math.floor((stored - mode.readingsBefore) / mode.perMessage)
      mode = { perMessage: readingsPerMessage, readingsBefore: stored, messagesBefore: messages }
    }
    return { raw: a, readingsRecords: a, deadLetters: 0, sinkCommitted: mode.messagesBefore + Math.floor((stored - mode.readingsBefore) / readingsPerMessage) }
  }
  return { hops, progress: hops, stored: (t) => influx.count(t) }
}

/** Hop counters from Kafka (topic end offsets, the sink's committed offsets) and InfluxDB. */
function servicesWatch(kafka: KafkaWatch, influx: InfluxWatch, topics: { readonly raw: string; readonly readings: string; readonly deadLetter: string }, sinkGroup: string): PipelineWatch {
  return {
    hops: async () => {
      const [raw, readingsRecords, deadLetters, sinkCommitted] = await Promise.all([
        kafka.records(topics.raw),
        kafka.records(topics.readings),
        kafka.records(topics.deadLetter),
        kafka.committed(sinkGroup, topics.readings),
      ])
      return { raw, readingsRecords, deadLetters, sinkCommitted }
    },
    progress: async () => {
      const [raw, sinkCommitted] = await Promise.all([kafka.records(topics.raw), kafka.committed(sinkGroup, topics.readings)])
      return { raw, sinkCommitted }
    },
    stored: (tenant) => influx.count(tenant),
  }
}

export function pidFromFile(relative: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(repoRoot, relative), 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

export function describe(r: ScenarioResult): string {
  const rec = r.reconciliation
  const rates = r.rates.map((p) => `${Math.round(p.fraction * 100)}%: p50/p95/p99 ${p.latencyMs?.p50 ?? '-'}/${p.latencyMs?.p95 ?? '-'}/${p.latencyMs?.p99 ?? '-'} ms`).join('; ')
  return `${r.path} ${r.payload}: stored ${r.max.storedReadingsPerSec} readings/s (${r.max.storedMsgsPerSec} msgs/s)${rates ? `; ${rates}` : ''}; reconciliation ${rec.ok ? 'ok' : `FAILED: ${rec.differences.join('; ')}`}`
}
