import type { BenchOptions } from '../options.js'
import { round, type Percentiles } from '../stats.js'
import type { GeneratorPool } from './generator-pool.js'
import { readingsPerMessage, type PayloadMode } from './payloads.js'
import type { LatencyProbe } from './probe.js'
import { cpuBetween, type ProcWatch } from './proc-stats.js'

/** One ingest path with its fleet connected: what a scenario needs to drive and observe it. */
export interface PathUnderTest {
  readonly name: string
  readonly pool: GeneratorPool
  readonly probe: LatencyProbe
  readonly tenant: string
  /** Most messages that may be published but not yet stored (keeps queues, and drains, short). */
  readonly backlogCap: (mode: PayloadMode) => number
}

/**
 * Where the hops' counters come from: Kafka offsets and InfluxDB for the services path, the
 * platform's own counters and its SQLite store for the embedded one.
 */
export interface PipelineWatch {
  /**
   * Cumulative records per hop. `readingsPerMessage` is that of the scenario running now, for a
   * watch that counts stored readings rather than records (earlier scenarios are fully drained).
   */
  hops(readingsPerMessage: number): Promise<HopCounts>
  /** Just the two counters the control loop needs (cheaper where that matters). */
  progress(readingsPerMessage: number): Promise<Pick<HopCounts, 'raw' | 'sinkCommitted'>>
  /** Readings of the tenant that a query of the store returns now. */
  stored(tenant: string): Promise<number>
}

export interface HopCounts {
  readonly raw: number
  readonly readingsRecords: number
  readonly deadLetters: number
  /** Readings-topic records whose readings are stored (queryable). */
  readonly sinkCommitted: number
}

export interface Observers {
  readonly options: BenchOptions
  readonly watch: PipelineWatch
  readonly procs: ProcWatch
}

/** Cumulative counters at one moment, per hop. */
interface Snapshot {
  readonly at: number
  readonly published: number
  readonly acked: number
  readonly raw: number
  readonly readingsRecords: number
  readonly deadLetters: number
  /** Readings-topic records whose offsets the sink committed, i.e. stored in InfluxDB. */
  readonly sinkCommitted: number
}

export interface MaxPhase {
  readonly seconds: number
  readonly measuredSeconds: number
  readonly publishedMsgsPerSec: number
  /** Accepted by the broker (PUBACK) … */
  readonly ackedMsgsPerSec: number
  /** … and in the raw topic. */
  readonly rawMsgsPerSec: number
  readonly storedMsgsPerSec: number
  readonly storedReadingsPerSec: number
  readonly ackLatencyMs?: Percentiles
  readonly cpuSeconds: Record<string, number>
  /** CPU microseconds per stored reading, per process, over the measured window. */
  readonly cpuMicrosPerReading: Record<string, number>
  readonly drainSeconds: number
  readonly timeline: { t: number; published: number; raw: number; stored: number }[]
}

export interface RatePhase {
  readonly fraction: number
  readonly targetMsgsPerSec: number
  readonly achievedMsgsPerSec: number
  readonly targetReadingsPerSec: number
  /** Messages the generators could not send on time (full windows or backlog cap). */
  readonly deficit: number
  readonly latencyMs?: Percentiles
  readonly probeAckLatencyMs?: Percentiles
  readonly probes: number
  readonly probesMissing: number
  readonly cpuSeconds: Record<string, number>
  readonly drainSeconds: number
}

export interface Reconciliation {
  readonly published: number
  readonly acknowledged: number
  readonly rawRecords: number
  readonly readingsRecords: number
  readonly deadLetters: number
  readonly storedReadings: number
  readonly expectedReadings: number
  readonly ok: boolean
  readonly differences: string[]
}

export interface ScenarioResult {
  readonly path: string
  readonly payload: PayloadMode
  readonly max: MaxPhase
  readonly rates: RatePhase[]
  readonly reconciliation: Reconciliation
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export class ScenarioRunner {
  private phaseId = 0

  constructor(private readonly o: Observers) {}

  async snapshot(path: PathUnderTest, mode: PayloadMode): Promise<Snapshot> {
    const hops = await this.o.watch.hops(readingsPerMessage[mode])
    return { at: Date.now(), published: path.pool.published + path.probe.published, acked: path.pool.acked + path.probe.acked, ...hops }
  }

  /** The two counters the control loop needs, at half the cost of a full snapshot. */
  private async progress(path: PathUnderTest, mode: PayloadMode): Promise<Snapshot> {
    const { raw, sinkCommitted } = await this.o.watch.progress(readingsPerMessage[mode])
    return { at: Date.now(), published: path.pool.published + path.probe.published, acked: path.pool.acked + path.probe.acked, raw, readingsRecords: NaN, deadLetters: NaN, sinkCommitted }
  }

  /** Max phase, then the fixed-rate latency phases (unless `quick`), then the reconciliation. */
  async run(path: PathUnderTest, mode: PayloadMode, quick: boolean): Promise<ScenarioResult> {
    const { options, watch } = this.o
    const baseline = await this.snapshot(path, mode)
    const storedBefore = await watch.stored(path.tenant)
    const max = await this.maxPhase(path, mode)
    const rates: RatePhase[] = []
    if (!quick) {
      for (const fraction of options.loadFractions) rates.push(await this.ratePhase(path, mode, fraction, max.storedMsgsPerSec * fraction))
    }
    const end = await this.snapshot(path, mode)
    const stored = (await watch.stored(path.tenant)) - storedBefore
    return { path: path.name, payload: mode, max, rates, reconciliation: reconcile(baseline, end, stored, readingsPerMessage[mode]) }
  }

  /** A short fixed-count run for the smoke test: correctness, no throughput claims. */
  async smoke(path: PathUnderTest, mode: PayloadMode, messages: number, rate: number): Promise<ScenarioResult> {
    const baseline = await this.snapshot(path, mode)
    const storedBefore = await this.o.watch.stored(path.tenant)
    const marks = this.o.procs.mark()
    path.probe.start(mode, this.o.options.probeHz, this.o.options.pollMs)
    let result
    try {
      result = await path.pool.phase(++this.phaseId, mode, rate, (messages / rate) * 1000 + 5000, messages)
    } catch (error) {
      await path.probe.stop(0)
      throw error
    }
    const probe = await path.probe.stop(20_000)
    const drainSeconds = await this.drain(path, mode, baseline)
    const end = await this.snapshot(path, mode)
    const stored = (await this.o.watch.stored(path.tenant)) - storedBefore
    const seconds = (end.at - baseline.at) / 1000
    const max: MaxPhase = {
      seconds,
      measuredSeconds: seconds,
      publishedMsgsPerSec: 0,
      ackedMsgsPerSec: 0,
      rawMsgsPerSec: 0,
      storedMsgsPerSec: 0,
      storedReadingsPerSec: 0,
      ...optional('ackLatencyMs', result.ackLatency.summary()),
      cpuSeconds: cpuBetween(marks, this.o.procs.mark()),
      cpuMicrosPerReading: {},
      drainSeconds,
      timeline: [],
    }
    const rates: RatePhase[] = [
      {
        fraction: 0,
        targetMsgsPerSec: rate,
        achievedMsgsPerSec: 0,
        targetReadingsPerSec: rate * readingsPerMessage[mode],
        deficit: result.deficit,
        ...optional('latencyMs', probe.visible.summary()),
        ...optional('probeAckLatencyMs', probe.ack.summary()),
        probes: probe.sent,
        probesMissing: probe.missing,
        cpuSeconds: {},
        drainSeconds,
      },
    ]
    return { path: path.name, payload: mode, max, rates, reconciliation: reconcile(baseline, end, stored, readingsPerMessage[mode]) }
  }

  private async maxPhase(path: PathUnderTest, mode: PayloadMode): Promise<MaxPhase> {
    const { options, procs } = this.o
    const rpm = readingsPerMessage[mode]
    const start = await this.snapshot(path, mode)
    const timeline: MaxPhase['timeline'] = []
    const probeBase = path.probe.published
    const control = this.controlLoop(path, mode, start, probeBase, (snap) => {
      timeline.push({ t: round((snap.at - start.at) / 1000, 2), published: snap.published - start.published, raw: snap.raw - start.raw, stored: snap.sinkCommitted - start.sinkCommitted })
    })
    const durationMs = options.maxSeconds * 1000
    const timers: NodeJS.Timeout[] = []
    const markAt = (ms: number): Promise<{ snap: Snapshot; cpu: Record<string, number> }> => {
      const mark = new Promise<{ snap: Snapshot; cpu: Record<string, number> }>((resolve, reject) => {
        const take = (): void => void this.snapshot(path, mode).then((snap) => resolve({ snap, cpu: procs.mark() }), reject)
        timers.push(setTimeout(take, ms))
      })
      // Awaited only when the phase succeeds; a failed phase must not leave it unhandled.
      mark.catch(() => undefined)
      return mark
    }
    const windowMarks = [markAt(options.warmupSeconds * 1000), markAt(durationMs)]
    let result
    try {
      result = await path.pool.phase(++this.phaseId, mode, null, durationMs)
    } finally {
      control.stop()
    }
    const [windowStart, windowEnd] = (await Promise.all(windowMarks)) as [{ snap: Snapshot; cpu: Record<string, number> }, { snap: Snapshot; cpu: Record<string, number> }]
    timers.forEach(clearTimeout)
    const drainSeconds = await this.drain(path, mode, start)
    const a = windowStart.snap
    const b = windowEnd.snap
    const seconds = (b.at - a.at) / 1000
    const per = (x: number): number => Math.round(x / seconds)
    const cpuSeconds = cpuBetween(windowStart.cpu, windowEnd.cpu)
    const storedReadings = (b.sinkCommitted - a.sinkCommitted) * rpm
    const cpuMicrosPerReading = Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, storedReadings > 0 ? round((v * 1e6) / storedReadings, 2) : 0]))
    return {
      seconds: options.maxSeconds,
      measuredSeconds: round(seconds, 2),
      publishedMsgsPerSec: per(b.published - a.published),
      ackedMsgsPerSec: per(b.acked - a.acked),
      rawMsgsPerSec: per(b.raw - a.raw),
      storedMsgsPerSec: per(b.sinkCommitted - a.sinkCommitted),
      storedReadingsPerSec: per(storedReadings),
      ...optional('ackLatencyMs', result.ackLatency.summary()),
      cpuSeconds,
      cpuMicrosPerReading,
      drainSeconds,
      timeline: timeline.filter((_, i) => i % 3 === 0),
    }
  }

  private async ratePhase(path: PathUnderTest, mode: PayloadMode, fraction: number, msgsPerSec: number): Promise<RatePhase> {
    const { options, procs } = this.o
    const start = await this.snapshot(path, mode)
    const control = this.controlLoop(path, mode, start, path.probe.published, () => undefined)
    const cpu = procs.mark()
    const generatorsBefore = path.pool.published
    const probesBefore = path.probe.published
    path.probe.start(mode, options.probeHz, options.pollMs)
    // The probes are part of the load: the generators send the rest.
    const generatorRate = Math.max(1, msgsPerSec - options.probeHz)
    let result
    try {
      result = await path.pool.phase(++this.phaseId, mode, generatorRate, options.rateSeconds * 1000)
    } catch (error) {
      control.stop()
      await path.probe.stop(0)
      throw error
    }
    const cpuSeconds = cpuBetween(cpu, procs.mark())
    const sent = result.published - generatorsBefore + path.probe.published - probesBefore
    const probe = await path.probe.stop(15_000)
    control.stop()
    const drainSeconds = await this.drain(path, mode, start)
    return {
      fraction,
      targetMsgsPerSec: Math.round(msgsPerSec),
      achievedMsgsPerSec: Math.round(sent / options.rateSeconds),
      targetReadingsPerSec: Math.round(msgsPerSec * readingsPerMessage[mode]),
      deficit: result.deficit,
      ...optional('latencyMs', probe.visible.summary()),
      ...optional('probeAckLatencyMs', probe.ack.summary()),
      probes: probe.sent,
      probesMissing: probe.missing,
      cpuSeconds,
      drainSeconds,
    }
  }

  /**
   * Every 150 ms: reads the hops' progress and lets the generators publish at most `backlogCap`
   * messages beyond what the sink has stored, so an as-fast-as-accepted phase measures the whole
   * pipeline's sustained rate instead of filling a queue somewhere in front of its slowest stage.
   */
  private controlLoop(path: PathUnderTest, mode: PayloadMode, start: Snapshot, probeBase: number, onSample: (s: Snapshot) => void): { stop(): void } {
    let stopped = false
    const cap = path.backlogCap(mode)
    const generatorBase = path.pool.published
    const loop = async (): Promise<void> => {
      while (!stopped) {
        try {
          const snap = await this.progress(path, mode)
          const storedByGenerators = snap.sinkCommitted - start.sinkCommitted - (path.probe.published - probeBase)
          path.pool.allow(generatorBase + Math.max(0, storedByGenerators) + cap)
          onSample(snap)
        } catch {
          // A failed read only delays the next allowance.
        }
        await sleep(150)
      }
    }
    path.pool.allow(generatorBase + cap)
    void loop()
    return {
      stop: () => {
        stopped = true
        path.pool.allow(Infinity)
      },
    }
  }

  /** Waits until every acknowledged message has passed every hop; returns how long that took. */
  private async drain(path: PathUnderTest, mode: PayloadMode, from: Snapshot, timeoutMs = 90_000): Promise<number> {
    const started = Date.now()
    for (;;) {
      const s = await this.snapshot(path, mode)
      const acked = s.acked - from.acked
      if (s.raw - from.raw >= acked && s.readingsRecords - from.readingsRecords >= acked && s.sinkCommitted >= s.readingsRecords) break
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `${path.name}: the pipeline did not catch up within ${timeoutMs / 1000} s (acknowledged ${acked}, raw ${s.raw - from.raw}, readings ${s.readingsRecords - from.readingsRecords}, sink committed ${s.sinkCommitted - from.sinkCommitted}; in all: readings ${s.readingsRecords}, sink committed ${s.sinkCommitted}); see the components' logs`,
        )
      }
      await sleep(100)
    }
    return round((Date.now() - started) / 1000, 2)
  }
}

function reconcile(from: Snapshot, to: Snapshot, stored: number, readingsPerMsg: number): Reconciliation {
  const r = {
    published: to.published - from.published,
    acknowledged: to.acked - from.acked,
    rawRecords: to.raw - from.raw,
    readingsRecords: to.readingsRecords - from.readingsRecords,
    deadLetters: to.deadLetters - from.deadLetters,
    storedReadings: stored,
    expectedReadings: (to.acked - from.acked) * readingsPerMsg,
  }
  const differences: string[] = []
  if (r.acknowledged !== r.published) differences.push(`published ${r.published} ≠ acknowledged ${r.acknowledged}`)
  if (r.rawRecords !== r.acknowledged) differences.push(`acknowledged ${r.acknowledged} ≠ raw topic records ${r.rawRecords}`)
  if (r.readingsRecords !== r.rawRecords) differences.push(`raw records ${r.rawRecords} ≠ readings records ${r.readingsRecords}`)
  if (r.deadLetters !== 0) differences.push(`${r.deadLetters} dead letters`)
  if (r.storedReadings !== r.expectedReadings) differences.push(`stored readings ${r.storedReadings} ≠ acknowledged × ${readingsPerMsg} = ${r.expectedReadings}`)
  return { ...r, ok: differences.length === 0, differences }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}

