import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { BenchOptions } from '../options.js'
import { fleetFor, generateSecret, writeRegistry, writeTenants } from './devices.js'
import { benchIds } from './env.js'
import { GeneratorPool } from './generator-pool.js'
import { freePort } from './mosquitto.js'
import type { EndToEndResult } from './orchestrator.js'
import { describe } from './orchestrator.js'
import { readingsPerMessage, type PayloadMode } from './payloads.js'
import { LatencyProbe, type StoredTimes } from './probe.js'
import { ProcWatch } from './proc-stats.js'
import { startComponent, type Component } from './processes.js'
import { ScenarioRunner, type HopCounts, type PathUnderTest, type PipelineWatch, type ScenarioResult } from './scenario.js'

/** As on the aedes path of the services run: at most this many readings published but not yet stored. */
const backlogReadings = 60_000

/**
 * Variables that would switch the platform to Kafka or InfluxDB, or tune it away from its
 * defaults; the platform process gets none of them from the caller. SINK_BATCH_MAX passes through
 * on purpose, so the embedded store's batch size can be compared from the command line.
 */
const notForThePlatform = ['KAFKA_BROKERS', 'INFLUX_URL', 'KAFKA_PORT', 'INFLUX_PORT', 'REGISTRY_FILE', 'TENANTS_FILE', 'API_KEYS_FILE', 'AUDIT_LOG_FILE', 'ALERT_RULES_FILE']

/**
 * The embedded defaults: `node bin/circular.js start` in one process, with a state directory of
 * its own (device registry and a tenants file with the bench allowance), free MQTT and API ports
 * and neither Kafka nor InfluxDB configured, so it runs on its embedded SQLite bus and store. The same fleet, payloads and phases as the services run drive it
 * over MQTT. Hop counters come from its `/metrics` (with the bootstrap admin key it writes to
 * `<state dir>/admin-key`); stored readings and the probes' visibility from its store file,
 * opened read-only, which is what the API's queries read.
 */
export async function runEmbedded(options: BenchOptions, log: (line: string) => void): Promise<EndToEndResult> {
  const ids = benchIds()
  const runDir = mkdtempSync(join(tmpdir(), `circular-bench-${ids.runId}-`))
  const logDir = join(runDir, 'logs')
  const stateDir = join(runDir, 'state')
  mkdirSync(logDir)
  mkdirSync(stateDir)
  const profileDir = options.kind === 'profile' ? join(runDir, 'profiles') : undefined
  const problems: string[] = []
  const scenarios: ScenarioResult[] = []
  const procs = new ProcWatch()
  const secret = generateSecret()
  const fleet = fleetFor(ids.runId, 'e', options.devices, secret)
  let platform: Component | undefined
  let pool: GeneratorPool | undefined
  let store: EmbeddedStoreWatch | undefined
  log(`run ${ids.runId} (embedded): ${options.devices} devices, ${options.generators} generator process(es), window ${options.window}; state and logs in ${runDir}`)

  try {
    await writeRegistry(join(stateDir, 'registry.json'), [fleet], secret)
    writeTenants(join(stateDir, 'tenants.json'), [fleet])
    const [mqttPort, apiPort] = [await freePort(), await freePort()]
    const env: Record<string, string> = {
      CIRCULAR_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      CIRCULAR_STATE_DIR: stateDir,
      MQTT_PORT: String(mqttPort),
      API_PORT: String(apiPort),
      // The benchmark reads /metrics about 7 times a second; the default 600 per minute per key
      // would refuse some of those reads. No other setting differs from a plain `circular start`.
      API_RATE_LIMIT_PER_MINUTE: '1000000',
    }
    const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, 'platform')}`] : []
    if (profileDir) mkdirSync(join(profileDir, 'platform'), { recursive: true })
    const startedAt = Date.now()
    platform = await startComponent('platform', [...profileArgs, 'bin/circular.js', 'start'], env, logDir, 120_000, { ready: /circular is running/, unset: notForThePlatform })
    log(`platform (pid ${platform.pid}) running in ${Date.now() - startedAt} ms`)
    procs.add('platform', platform.pid)
    procs.add('orchestrator', process.pid)
    procs.start()

    // Its banner names the bus and the store; their files in the state directory say the same.
    for (const file of ['bus.sqlite', 'store.sqlite']) {
      if (!existsSync(join(stateDir, file))) throw new Error(`the platform did not create ${file} in its state directory: not running on its embedded bus and store`)
    }
    const adminKey = readFileSync(join(stateDir, 'admin-key'), 'utf8').trim()
    store = new EmbeddedStoreWatch(join(stateDir, 'store.sqlite'))
    const watch = platformWatch(`http://127.0.0.1:${apiPort}`, adminKey, store)
    await watch.hops(1)

    pool = new GeneratorPool(options.generators, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, 'generator')}`] : [], { BENCH_RUN: ids.groupPrefix })
    pool.pids.forEach((pid, i) => procs.add(`generator-${i}`, pid))
    const runner = new ScenarioRunner({ options, procs, watch })
    const url = `mqtt://127.0.0.1:${mqttPort}`
    const connectMs = await pool.connect(url, fleet.devices, true, options.window)
    const probe = new LatencyProbe(fleet.probe, store)
    await probe.connect(url, true)
    log(`embedded: ${fleet.devices.length} devices connected in ${connectMs} ms`)
    const path: PathUnderTest = { name: 'embedded', pool, probe, tenant: fleet.tenant, backlogCap: (mode: PayloadMode) => Math.ceil(backlogReadings / readingsPerMessage[mode]) }
    try {
      for (const mode of options.payloads) {
        const result = options.kind === 'smoke' ? await runner.smoke(path, mode, mode === 'single' ? 100 : 20, mode === 'single' ? 200 : 40) : await runner.run(path, mode, false)
        scenarios.push(result)
        log(describe(result))
      }
    } finally {
      await probe.close()
      const totals = await pool.disconnect()
      if (totals.failed > 0) problems.push(`embedded: ${totals.failed} publishes failed`)
    }
  } catch (error) {
    problems.push(`run aborted: ${(error as Error).message}`)
  } finally {
    if (pool) problems.push(...pool.problems)
    procs.stop()
    await pool?.close()
    store?.close()
    if (platform) {
      await platform.stop()
      if (platform.process.exitCode !== 0 && platform.process.exitCode !== null) problems.push(`platform exited with code ${platform.process.exitCode}`)
    }
    log(`cleaned up: platform stopped, state directory ${problems.length === 0 && !options.keepLogs ? 'removed' : `kept in ${stateDir}`}`)
    if (!options.keepLogs && problems.length === 0 && scenarios.every((s) => s.reconciliation.ok)) rmSync(runDir, { recursive: true, force: true })
  }
  return { ids, scenarios, peakMemory: procs.peaks(), problems, runDir, ...(profileDir ? { profileDir } : {}), mosquitto: 'none' }
}

/**
 * Hop counters from the platform's `/metrics`: raw records = the ingest's accepted messages,
 * readings records = the normaliser's accepted messages, dead letters of every stage. The sink
 * counts stored readings, not records; as earlier scenarios are drained, the readings records
 * whose readings are all stored are those produced minus the readings still waiting ÷ the
 * scenario's readings per message (and minus what the footprint processor has yet to do). The
 * stored count of the reconciliation itself comes from the store file.
 */
export function platformWatch(apiUrl: string, adminKey: string, store: EmbeddedStoreWatch): PipelineWatch {
  const counters = async (): Promise<Map<string, number>> => {
    const response = await fetch(`${apiUrl}/metrics`, { headers: { authorization: `Bearer ${adminKey}` }, signal: AbortSignal.timeout(10_000) })
    if (!response.ok) throw new Error(`/metrics answered ${response.status}: ${await response.text()}`)
    return parseCounters(await response.text())
  }
  const hops = async (rpm: number): Promise<HopCounts> => {
    const c = await counters()
    const get = (name: string): number => c.get(`circular_${name}_total`) ?? 0
    const readingsRecords = get('normaliser_accepted')
    const readingsWaiting = Math.max(0, get('normaliser_readings') - get('store_sink_stored'))
    // The footprint processor reads the same records and hands the sink its own points (each bench
    // reading is one point, so the sink's other points are the footprint's). A record counts as
    // done only once the footprint work it causes is stored too: otherwise a phase would end with
    // that work still queued in the one process, and the next phase would pay for it.
    const footprintBehind = Math.max(0, readingsRecords - get('footprint_received'))
    const footprintPointsWaiting = Math.max(0, get('footprint_points') - (get('store_sink_points') - get('store_sink_stored')))
    const behind = Math.max(Math.ceil(readingsWaiting / rpm), footprintBehind, footprintPointsWaiting > 0 ? 1 : 0)
    return {
      raw: get('ingest_accepted'),
      readingsRecords,
      deadLetters: get('ingest_dead_lettered') + get('normaliser_dead_lettered') + get('footprint_too_late') + get('store_sink_dead_lettered'),
      sinkCommitted: readingsRecords - behind,
    }
  }
  return { hops, progress: hops, stored: async (tenant) => store.count(tenant) }
}

/** Prometheus text → counter values by metric name (samples with labels summed into their family). */
export function parseCounters(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line)
    if (!match) continue
    out.set(match[1]!, (out.get(match[1]!) ?? 0) + Number(match[3]))
  }
  return out
}

/**
 * Read-only queries of the platform's store file (`core/store/embedded/database.ts`): what the
 * API's readings queries return, through the same indexes. WAL lets this reader see every
 * committed write without blocking the platform's writer.
 */
export class EmbeddedStoreWatch implements StoredTimes {
  private db: Database.Database | undefined

  constructor(private readonly path: string) {}

  /** Stored temperature readings of one tenant (each bench reading is one value of that field). */
  async count(tenant: string): Promise<number> {
    const row = this.open()
      .prepare<[string], { n: number }>(
        `SELECT count(*) AS n FROM value
         WHERE field_id IN (SELECT id FROM field WHERE measurement = 'waste_container' AND name = 'temperature_c')
           AND series_id IN (SELECT series_id FROM series_tag WHERE key = 'tenant' AND value = ?)`,
      )
      .get(tenant)
    return row?.n ?? 0
  }

  async times(deviceId: string, fromMs: number): Promise<number[]> {
    return this.open()
      .prepare<[string, number], number>(
        `SELECT time FROM value
         WHERE series_id IN (SELECT series_id FROM series_tag WHERE key = 'device' AND value = ?)
           AND field_id IN (SELECT id FROM field WHERE measurement = 'waste_container' AND name = 'temperature_c')
           AND time >= ?`,
      )
      .pluck()
      .all(deviceId, fromMs)
  }

  close(): void {
    this.db?.close()
    this.db = undefined
  }

  private open(): Database.Database {
    this.db ??= new Database(this.path, { readonly: true, fileMustExist: true })
    return this.db
  }
}
