import { hostname } from 'node:os'
import type { Bus, Consumption } from '../../core/bus/bus.js'
import type { Config } from '../../core/config.js'
import type { Counters } from '../../core/counters.js'
import type { Logger } from '../../core/logger.js'
import type { DeviceRegistry } from '../../core/registry/registry.js'
import type { Point, Store } from '../../core/store/store.js'
import { pipelineGroups, type WatchedGroup } from './consumer-groups.js'
import { CounterDeltas } from './counter-deltas.js'
import { DeadLetterTally } from './dead-letter-tally.js'
import type { EndToEndDelays } from '../../core/end-to-end-delays.js'
import { counterPoints, deadLetterPoints, delayPoints, inventoryPoints, lagPoints } from './health-points.js'

export interface HealthReporterDeps {
  readonly config: Config
  readonly store: Store
  readonly bus: Bus
  /** The counters of the components running in this process (read at every report). */
  readonly counters: () => readonly Counters[]
  /** End-to-end delay recorders of the components that store readings (the sink). */
  readonly delays?: () => readonly EndToEndDelays[]
  /** Written as `device_inventory` every inventory interval and whenever it changed, for maps and completeness. */
  readonly registry?: DeviceRegistry
  /** Whose consumer lag to report; the pipeline's groups by default. */
  readonly groups?: readonly WatchedGroup[]
  readonly logger: Logger
}

export interface HealthReporter {
  /** Writes one report now (the timer does this every `HEALTH_REPORT_INTERVAL_MS`). */
  report(): Promise<void>
  /** Stops the timer and the dead-letter tally, then writes a last report. */
  stop(): Promise<void>
}

/**
 * Writes what the pipeline-health dashboard shows to the store: per-component counter
 * increments, dead letters by stage and reason, consumer lag per group, topic and partition, and
 * end-to-end delays. Works with any `Store` and `Bus`; a bus without `lag` reports no lag. A
 * report the store refuses is carried into the next one, so no increment is lost to an outage.
 */
export async function startHealthReporter(deps: HealthReporterDeps): Promise<HealthReporter> {
  const { config, logger } = deps
  const host = hostname()
  const groups = deps.groups ?? pipelineGroups(config)
  const counterDeltas = new CounterDeltas()
  const tallyDeltas = new CounterDeltas()
  const tally = new DeadLetterTally(deps)
  const tallyConsumption: Consumption = await tally.start()
  // The window and content of the inventory last stored: a device registered mid-window shows at the next report.
  let inventoryWritten: { window: number; content: string } | undefined
  let running: Promise<void> = Promise.resolve()
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  async function lagOf(time: number): Promise<Point[]> {
    if (!deps.bus.lag) return []
    const points: Point[] = []
    for (const group of groups) {
      try {
        points.push(...lagPoints(group.groupId, await deps.bus.lag(group.groupId, group.topics), time))
      } catch (error) {
        logger.warn({ err: error, group: group.groupId }, 'consumer lag unavailable; left out of this report')
      }
    }
    return points
  }

  async function writeReport(): Promise<void> {
    const time = Date.now()
    const counters = counterDeltas.next(deps.counters())
    const deadLetters = tallyDeltas.next([tally.counters])
    const drained = (deps.delays?.() ?? []).map((recorder) => ({ recorder, summaries: recorder.drain() }))
    const inventoryWindow = Math.floor(time / config.health.inventoryIntervalMs) * config.health.inventoryIntervalMs
    const registered = deps.registry ? inventoryPoints(deps.registry.list(), inventoryWindow) : []
    const inventoryContent = JSON.stringify(registered)
    const inventoryDue = deps.registry !== undefined && (inventoryWritten?.window !== inventoryWindow || inventoryWritten.content !== inventoryContent)
    const inventory = inventoryDue ? registered : []
    const points = [
      ...counterPoints(counters.deltas, time, host),
      ...deadLetterPoints(deadLetters.deltas, time, host),
      ...drained.flatMap((d) => delayPoints(d.recorder.stage, d.summaries, time, host)),
      ...(await lagOf(time)),
      ...inventory,
    ]
    try {
      const outcome = await deps.store.write(points)
      for (const r of outcome.rejected) logger.warn({ measurement: r.point.measurement, reason: r.reason }, 'health point refused by the store')
      counters.commit()
      deadLetters.commit()
      if (inventoryDue) inventoryWritten = { window: inventoryWindow, content: inventoryContent }
    } catch (error) {
      for (const d of drained) d.recorder.restore(d.summaries)
      logger.warn({ err: error }, 'health report not stored; its increments go into the next one')
    }
  }

  // One report at a time: a slow store delays the next report instead of overlapping it.
  const report = (): Promise<void> => (running = running.then(writeReport))

  const schedule = (): void => {
    timer = setTimeout(() => {
      void report().finally(() => {
        if (!stopped) schedule()
      })
    }, config.health.reportIntervalMs)
    timer.unref()
  }
  schedule()

  return {
    report,
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      await tallyConsumption.stop()
      await report()
    },
  }
}
