import type { Bus, Consumption, IncomingRecord, OutgoingRecord } from '../../core/bus/bus.js'
import { pipelineTopics } from '../../core/bus/topics.js'
import type { Config } from '../../core/config.js'
import { Counters } from '../../core/counters.js'
import type { Logger } from '../../core/logger.js'
import { readingEnvelope, type CanonicalReading, type ReadingEnvelope } from '../../models/reading.js'
import { ChangelogStore } from '../footprint/changelog-store.js'
import { encodePointsRecord } from '../points-record.js'
import { alertCommand, alertCommandRecord, type AlertCommand } from './alert-command.js'
import { alertEventOf, alertPoint, alertRecord, type AlertEvent, type AlertSubject } from './alert-event.js'
import { evaluate, observe, silenceDueAt, silenceVerdict, type Verdict } from './conditions.js'
import { acknowledge, resolveFromOutside, step } from './lifecycle.js'
import { ruleNames, type RuleName, type RuleSettings } from './rule-settings.js'
import type { RulesSource } from './rules-source.js'
import { emptyAlertState, type AlertDeviceState, type RuleState } from './state.js'

export const alertsCounterNames = ['received', 'applied', 'skippedAlreadyApplied', 'ignored', 'fired', 'acknowledged', 'resolved', 'stateReloads'] as const

const stage = 'alerts'

export interface AlertsDeps {
  readonly config: Config
  readonly bus: Bus
  readonly rules: RulesSource
  readonly logger: Logger
}

/**
 * Evaluates the alert rules on the readings stream, per device in event time, and moves each
 * (rule, device) alert through firing → acknowledged → resolved. Acknowledgements, and
 * resolutions by a municipal service, arrive as commands keyed by device.
 *
 * Exactly-once effect on restart, as in the footprint processor: per batch, the alert events
 * and their points are made durable first, then the changed device states (each with the offsets
 * it reflects) go to a compacted changelog, then the offsets are committed. A record a state
 * already reflects is skipped; a replay after a crash in between emits the same events under the
 * same alert ids, which receivers deduplicate.
 */
export class AlertsProcessor {
  readonly counters = new Counters(stage, alertsCounterNames)
  private readonly store: ChangelogStore<AlertDeviceState>
  private needsReload = true

  constructor(private readonly deps: AlertsDeps) {
    this.store = new ChangelogStore<AlertDeviceState>(deps.bus, deps.config.alerts.topics.state)
  }

  async start(groupId = this.deps.config.alerts.groups.processor): Promise<Consumption> {
    const { bus, config } = this.deps
    await bus.ensureTopics(pipelineTopics(config.kafka, config.alerts))
    const consumption = await bus.consume({
      groupId,
      topics: [config.kafka.topics.readings, config.alerts.topics.commands],
      handleBatch: (records) => this.handleBatch(records),
      // Partitions may have moved: another instance may have advanced their devices' state.
      onAssignment: () => (this.needsReload = true),
    })
    // Silent devices send no records, so the clock must find them even when no batch arrives.
    const timer = setInterval(() => {
      this.checkSilence(Date.now()).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'silence check failed; trying again at the next tick'))
    }, config.alerts.silenceCheckMs)
    return {
      stop: async () => {
        clearInterval(timer)
        await consumption.stop()
      },
    }
  }

  async handleBatch(records: readonly IncomingRecord[]): Promise<void> {
    try {
      await this.reloadIfNeeded()
      const events: AlertEvent[] = []
      for (const record of records) {
        this.counters.add('received')
        const input = this.parse(record)
        if (input === undefined) {
          // The sink dead-letters malformed readings; a malformed command is the API's bug, logged.
          this.counters.add('ignored')
          continue
        }
        const deviceId = input.kind === 'readings' ? input.envelope.deviceId : input.command.deviceId
        const position = `${record.topic}:${record.partition}`
        const previous = this.store.get(deviceId)
        const applied = previous?.positions[position]
        if (applied !== undefined && BigInt(applied) >= BigInt(record.offset)) {
          this.counters.add('skippedAlreadyApplied')
          continue
        }
        const state = previous ? structuredClone(previous) : emptyAlertState()
        if (input.kind === 'readings') this.applyReadings(state, input.envelope, events)
        else this.applyCommand(state, input.command, events)
        state.positions[position] = record.offset
        this.store.stage(deviceId, state)
        this.counters.add('applied')
      }
      const topic = this.deps.config.alerts.topics.events
      const out: OutgoingRecord[] = events.map((e) => alertRecord(topic, e))
      // The sink writes these points; one writer to the store.
      for (const e of events) out.push({ topic: this.deps.config.kafka.topics.footprintPoints, key: e.deviceId, value: encodePointsRecord([alertPoint(e)]), headers: {} })
      await this.deps.bus.publish(out)
      await this.store.flush()
      for (const e of events) this.counters.add(e.phase === 'firing' ? 'fired' : e.phase)
    } catch (error) {
      // In-memory states may be ahead of what is durable: start again from the changelog.
      this.needsReload = true
      throw error
    }
  }

  private async reloadIfNeeded(): Promise<void> {
    if (!this.needsReload) return
    const devices = await this.store.load()
    this.needsReload = false
    this.counters.add('stateReloads')
    this.deps.logger.info({ devices }, 'alerts state loaded from changelog')
  }

  private parse(record: IncomingRecord): { kind: 'readings'; envelope: ReadingEnvelope } | { kind: 'command'; command: AlertCommand } | undefined {
    const json = safeJson(record.value)
    if (record.topic === this.deps.config.alerts.topics.commands) {
      const parsed = alertCommand.safeParse(json)
      if (!parsed.success) this.deps.logger.warn({ offset: record.offset, partition: record.partition }, 'alert command is malformed; skipped')
      return parsed.success ? { kind: 'command', command: parsed.data } : undefined
    }
    const parsed = readingEnvelope.safeParse(json)
    return parsed.success ? { kind: 'readings', envelope: parsed.data } : undefined
  }

  /** Observes the envelope's readings instant by instant and evaluates every rule after each. */
  private applyReadings(state: AlertDeviceState, envelope: ReadingEnvelope, events: AlertEvent[]): void {
    const settings = this.deps.rules.settingsFor({ tenant: envelope.tenant, kind: envelope.kind, fullnessThreshold: envelope.fullnessThreshold })
    const subject: AlertSubject = { tenant: envelope.tenant, site: envelope.site, deviceId: envelope.deviceId, kind: envelope.kind, ...(envelope.location ? { location: envelope.location } : {}) }
    state.subject = subject
    for (const [time, readings] of byInstant(envelope.readings)) {
      // Alerts are about the present: a reading older than what the device already told changes nothing.
      if (state.latestTime !== undefined && time < state.latestTime) continue
      state.latestTime = time
      observe(state.observations, readings, time, settings)
      for (const rule of ruleNames) {
        if (rule !== 'silence' && settings[rule].enabled) this.advance(state, rule, evaluate(rule, state.observations, time, settings), time, settings, events)
      }
    }
    // Silence is about arrival, on the wall clock: any reading ends it, however old its observations.
    state.observations.lastReceivedAt = Math.max(state.observations.lastReceivedAt ?? 0, envelope.receivedAt)
    this.advance(state, 'silence', evaluate('silence', state.observations, envelope.receivedAt, settings), envelope.receivedAt, settings, events)
  }

  private applyCommand(state: AlertDeviceState, command: AlertCommand, events: AlertEvent[]): void {
    const subject = state.subject
    if (!subject) return
    const settings = this.deps.rules.settingsFor(subject)
    if (command.command === 'check-silence') {
      if (settings.silence.enabled) this.advance(state, 'silence', silenceVerdict(state.observations, command.at, settings), command.at, settings, events)
      return
    }
    const ruleState = state.rules[command.rule]
    if (!ruleState) return
    const transition = command.command === 'ack' ? acknowledge(ruleState, command.alertId, command.at, command.by) : resolveFromOutside(ruleState, command.alertId, command.at, command.by, settings.cooldownMinutes)
    if (transition) events.push(alertEventOf(transition, command.rule, subject))
  }

  private advance(state: AlertDeviceState, rule: RuleName, verdict: Verdict, time: number, settings: RuleSettings, events: AlertEvent[]): void {
    const ruleState: RuleState = (state.rules[rule] ??= { phase: 'idle' })
    const transition = step(ruleState, verdict, rule, state.subject!.deviceId, time, settings.cooldownMinutes)
    if (transition) events.push(alertEventOf(transition, rule, state.subject!))
  }

  /**
   * Asks, through the commands topic, whether devices that should have reported by now have gone
   * silent. The check goes through Kafka like any input, so its effect is applied once, in order
   * with the device's readings, and survives restarts like the rest of the state.
   */
  async checkSilence(now: number): Promise<number> {
    await this.reloadIfNeeded()
    const checks: OutgoingRecord[] = []
    for (const [deviceId, state] of this.store.entries()) {
      if (!state.subject || (state.rules.silence?.phase ?? 'idle') !== 'idle' || now < (state.rules.silence?.quietUntil ?? 0)) continue
      const settings = this.deps.rules.settingsFor(state.subject)
      const due = silenceDueAt(state.observations, settings)
      if (!settings.silence.enabled || due === undefined || now < due) continue
      checks.push(alertCommandRecord(this.deps.config.alerts.topics.commands, { schema: 'circular.alert-command/v1', command: 'check-silence', deviceId, at: now }))
    }
    await this.deps.bus.publish(checks)
    return checks.length
  }
}

/** Readings grouped by observation time, oldest first. */
function byInstant(readings: readonly CanonicalReading[]): [number, CanonicalReading[]][] {
  const groups = new Map<number, CanonicalReading[]>()
  for (const r of readings) {
    let group = groups.get(r.time)
    if (!group) groups.set(r.time, (group = []))
    group.push(r)
  }
  return [...groups].sort((a, b) => a[0] - b[0])
}

function safeJson(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8'))
  } catch {
    return undefined
  }
}
