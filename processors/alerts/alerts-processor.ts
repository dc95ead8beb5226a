import type { BatchContext, Bus, Consumption, IncomingRecord, OutgoingRecord } from '../../core/bus/bus.js'
import { publishFromBatch } from '../../core/bus/batch-publish.js'
import { pipelineTopics } from '../../core/bus/topics.js'
import type { Config } from '../../core/config.js'
import { Counters } from '../../core/counters.js'
import type { Logger } from '../../core/logger.js'
import { forgetBefore, newestObservation, readingsIdentity, recordMessage, seenMessagesOf, type RepeatVerdict } from '../reading-identity.js'
import { readingEnvelope, type CanonicalReading, type ReadingEnvelope } from '../../models/reading.js'
import { ChangelogStore } from '../../core/state/changelog-store.js'
import { encodePointsRecord } from '../points-record.js'
import { alertCommand, alertCommandRecord, type AlertCommand } from '../../core/alerts/alert-command.js'
import { alertPoint, alertRecord, type AlertEvent, type AlertSubject } from '../../core/alerts/alert-event.js'
import { evaluate, lidOpenDueAt, observe, observeConnection, offlineDueAt, offlineVerdict, silenceDueAt, silenceVerdict } from './conditions.js'
import { connectionEvent, type ConnectionEvent } from '../../models/device-status.js'
import { emptyEnergyBaseline, energyVerdicts } from './energy-baseline.js'
import { acknowledge, alertEventOf, resolveFromOutside, step } from './lifecycle.js'
import { addFlow, balanceVerdict, closeWindows, emptySiteBalance } from './mass-balance.js'
import { ruleNames, type RuleName, type RuleSettings } from '../../core/alerts/rule-settings.js'
import type { RulesSource } from './rules-source.js'
import { siteFlow, siteFlowOf, siteFlowRecord, siteKeyOf, type SiteFlow } from './site-flow.js'
import { emptyAlertState, type AlertDeviceState, type RuleState, type Verdict } from './state.js'
import { parseJsonOrUndefined } from '../../core/json.js'
import { poisonGuarded } from '../poison-records.js'

export const alertsCounterNames = ['received', 'applied', 'skippedAlreadyApplied', 'skippedRepeat', 'ignored', 'fired', 'acknowledged', 'resolved', 'stateReloads', 'siteFlowsLate', 'devicesForgotten'] as const

/** Rules judged on something other than the newest instant: a clock, a complete hour, a closed window. */
const notPerInstant: ReadonlySet<RuleName> = new Set(['silence', 'offline', 'energy_anomaly', 'mass_balance'])

type Input = { kind: 'readings'; envelope: ReadingEnvelope } | { kind: 'command'; command: AlertCommand } | { kind: 'flow'; flow: SiteFlow } | { kind: 'connection'; event: ConnectionEvent }

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
 *
 * Instances of one consumer group share the work by partition number: readings and commands are
 * keyed by device, site flows by site, and partition p of every input topic goes to one instance
 * (a co-partitioned assignment), so each device's and site's state has one owner. The state is
 * reloaded from the changelog whenever partitions are handed out.
 */
export class AlertsProcessor {
  readonly counters = new Counters(stage, alertsCounterNames)
  private readonly store: ChangelogStore<AlertDeviceState>
  private needsReload = true
  /** Partition numbers this instance owns (the same for every input and the state); all until the bus says otherwise. */
  private owned: readonly number[] | undefined

  constructor(private readonly deps: AlertsDeps) {
    this.store = new ChangelogStore<AlertDeviceState>(deps.bus, deps.config.alerts.topics.state)
  }

  async start(groupId = this.deps.config.alerts.groups.processor): Promise<Consumption> {
    const { bus, config } = this.deps
    await bus.ensureTopics(pipelineTopics(config.bus, config.alerts))
    const consumption = await bus.consume({
      groupId,
      // The devices topic brings removals, on the partition of the device's readings.
      topics: [config.bus.topics.readings, config.alerts.topics.commands, config.alerts.topics.siteFlows, config.bus.topics.devices, config.bus.topics.deviceStatus],
      handleBatch: poisonGuarded((records, context) => this.handleBatch(records, context), this.deps, stage),
      // Partitions may have moved: another instance may have advanced their devices' state.
      onAssignment: (assigned) => {
        this.owned = [...new Set(assigned.map((a) => a.partition))]
        this.needsReload = true
      },
      // A batch applied in memory whose outputs the bus discarded: memory is ahead of the changelog.
      onDiscarded: () => (this.needsReload = true),
      copartitioned: true,
      startAt: config.alerts.startAt,
    })
    // Silent devices and open lids send no records, so the clock must find them even when no batch arrives.
    const timer = setInterval(() => {
      this.checkClocks(Date.now()).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'clock check failed; trying again at the next tick'))
    }, config.alerts.silenceCheckMs)
    return {
      stop: async () => {
        clearInterval(timer)
        await consumption.stop()
      },
    }
  }

  /**
   * Applies a batch. Under a consumption, its events, flows, points and device states commit with
   * its offsets (`context.publish`); called without a context, they are published in that order.
   */
  async handleBatch(records: readonly IncomingRecord[], context?: BatchContext): Promise<void> {
    try {
      await this.reloadIfNeeded()
      const events: AlertEvent[] = []
      const flows: OutgoingRecord[] = []
      for (const record of records) {
        if (record.topic === this.deps.config.bus.topics.devices) {
          if (record.tombstone) this.forgetRemoved(record, events)
          continue
        }
        this.counters.add('received')
        const input = this.parse(record)
        if (input === undefined) {
          // The sink dead-letters malformed readings; a malformed command is the API's bug, logged.
          this.counters.add('ignored')
          continue
        }
        const deviceId = input.kind === 'readings' ? input.envelope.deviceId : input.kind === 'flow' ? siteKeyOf(input.flow.tenant, input.flow.site) : input.kind === 'connection' ? input.event.deviceId : input.command.deviceId
        const position = `${record.topic}:${record.partition}`
        const previous = this.store.get(deviceId)
        const applied = previous?.positions[position]
        if (applied !== undefined && BigInt(applied) >= BigInt(record.offset)) {
          this.counters.add('skippedAlreadyApplied')
          continue
        }
        // Changed in place: a batch that fails, or whose commit is discarded, reloads every state from the changelog.
        const state = previous ?? emptyAlertState()
        // A device's resend or a normaliser's replay would count a weighing twice in the mass balance.
        const verdict = input.kind === 'readings' ? this.repeatVerdict(state, input.envelope) : 'new'
        const repeat = verdict !== 'new'
        if (verdict === 'repeat') this.counters.add('skippedRepeat')
        else if (verdict === 'unknowable') this.counters.add('ignored')
        else if (input.kind === 'readings') this.applyReadings(state, input.envelope, record, events, flows)
        else if (input.kind === 'flow') this.applyFlow(state, deviceId, input.flow, events)
        else if (input.kind === 'connection') this.applyConnection(state, input.event, events)
        else this.applyCommand(state, input.command, events)
        state.positions[position] = record.offset
        this.store.stage(deviceId, state)
        if (!repeat) this.counters.add('applied')
      }
      const topic = this.deps.config.alerts.topics.events
      const out: OutgoingRecord[] = [...events.map((e) => alertRecord(topic, e)), ...flows]
      // The sink writes these points; one writer to the store.
      for (const e of events) out.push({ topic: this.deps.config.bus.topics.footprintPoints, key: e.deviceId, value: encodePointsRecord([alertPoint(e)]), headers: {} })
      await publishFromBatch(this.deps.bus, context, out)
      await this.store.flush(context?.publish)
      for (const e of events) this.counters.add(e.phase === 'firing' ? 'fired' : e.phase)
    } catch (error) {
      // In-memory states may be ahead of what is durable: start again from the changelog.
      this.needsReload = true
      throw error
    }
  }

  private async reloadIfNeeded(): Promise<void> {
    if (!this.needsReload) return
    const devices = await this.store.load({ partitions: this.owned })
    this.needsReload = false
    this.counters.add('stateReloads')
    this.deps.logger.info({ devices }, 'alerts state loaded from changelog')
  }

  private parse(record: IncomingRecord): Input | undefined {
    const json = parseJsonOrUndefined(record.value)
    if (record.topic === this.deps.config.alerts.topics.siteFlows) {
      const parsed = siteFlow.safeParse(json)
      return parsed.success ? { kind: 'flow', flow: parsed.data } : undefined
    }
    if (record.topic === this.deps.config.bus.topics.deviceStatus) {
      const parsed = connectionEvent.safeParse(json)
      return parsed.success ? { kind: 'connection', event: parsed.data } : undefined
    }
    if (record.topic === this.deps.config.alerts.topics.commands) {
      const parsed = alertCommand.safeParse(json)
      if (!parsed.success) this.deps.logger.warn({ offset: record.offset, partition: record.partition }, 'alert command is malformed; skipped')
      return parsed.success ? { kind: 'command', command: parsed.data } : undefined
    }
    const parsed = readingEnvelope.safeParse(json)
    return parsed.success ? { kind: 'readings', envelope: parsed.data } : undefined
  }

  /**
   * Observes the envelope's readings instant by instant and evaluates every rule after each; a
   * meter's complete hours go to the energy anomaly rule, and weighings and container weights to
   * the site's mass balance, re-keyed by site (`flows`).
   */
  /**
   * Whether a readings message was applied before. Identities are kept over the allowed lateness
   * behind the device's newest observation, and a message older than that (or than what the
   * identities kept still cover) is not applied: it cannot be told from a repeat.
   */
  private repeatVerdict(state: AlertDeviceState, envelope: ReadingEnvelope): RepeatVerdict {
    const seen = seenMessagesOf(state, state.latestTime ?? -Infinity)
    const observed = newestObservation(envelope)
    const horizon = Math.max(state.latestTime ?? -Infinity, observed) - this.deps.config.footprint.allowedLatenessMs
    if (observed < horizon) return 'unknowable'
    const verdict = recordMessage(seen, readingsIdentity(envelope), observed)
    forgetBefore(seen, horizon)
    return verdict
  }

  private applyReadings(state: AlertDeviceState, envelope: ReadingEnvelope, record: IncomingRecord, events: AlertEvent[], flows: OutgoingRecord[]): void {
    const settings = this.deps.rules.settingsFor({ tenant: envelope.tenant, kind: envelope.kind, fullnessThreshold: envelope.fullnessThreshold })
    const subject: AlertSubject = { tenant: envelope.tenant, site: envelope.site, deviceId: envelope.deviceId, kind: envelope.kind, ...(envelope.location ? { location: envelope.location } : {}) }
    state.subject = subject
    // What a device says on its status topic is no telemetry: no rule reads it (the broker's connection events feed `offline`).
    if (envelope.format === 'device-status') return
    for (const [time, readings] of byInstant(envelope.readings)) {
      // Alerts are about the present: a reading older than what the device already told changes nothing.
      if (state.latestTime !== undefined && time < state.latestTime) continue
      state.latestTime = time
      observe(state.observations, readings, time, settings)
      for (const rule of ruleNames) {
        if (!notPerInstant.has(rule) && settings[rule].enabled) this.advance(state, rule, evaluate(rule, state.observations, time, settings), time, settings, events)
      }
      if (settings.energy_anomaly.enabled) {
        for (const { at, verdict } of energyVerdicts((state.energy ??= emptyEnergyBaseline()), readings, settings.energy_anomaly)) this.advance(state, 'energy_anomaly', verdict, at, settings, events)
      }
    }
    // Every weighing counts in the balance, however late: mass is mass whenever it was weighed.
    if (this.deps.rules.settingsFor({ tenant: envelope.tenant, kind: 'weighing_device' }).mass_balance.enabled) {
      const flow = siteFlowOf(envelope, { topic: record.topic, partition: record.partition, offset: record.offset })
      if (flow) flows.push(siteFlowRecord(this.deps.config.alerts.topics.siteFlows, flow))
    }
    // Silence is about arrival, on the wall clock: any reading ends it, however old its observations.
    state.observations.lastReceivedAt = Math.max(state.observations.lastReceivedAt ?? 0, envelope.receivedAt)
    this.advance(state, 'silence', evaluate('silence', state.observations, envelope.receivedAt, settings), envelope.receivedAt, settings, events)
  }

  /**
   * A session of the device began or ended on its broker. Stamped by the broker's clock, not the
   * device's: kept apart from the readings' event time, the repeat check and the silence rule.
   */
  private applyConnection(state: AlertDeviceState, event: ConnectionEvent, events: AlertEvent[]): void {
    const subject = state.subject ?? { tenant: event.tenant, site: event.site, deviceId: event.deviceId, kind: 'generic' as const }
    state.subject = subject
    const settings = this.deps.rules.settingsFor(subject)
    observeConnection(state.observations, event, event.at)
    if (settings.offline.enabled) this.advance(state, 'offline', offlineVerdict(state.observations, event.at, settings), event.at, settings, events)
  }

  private applyCommand(state: AlertDeviceState, command: AlertCommand, events: AlertEvent[]): void {
    const subject = state.subject
    if (!subject) return
    const settings = this.deps.rules.settingsFor(subject)
    if (command.command === 'check-silence') {
      if (settings.silence.enabled) this.advance(state, 'silence', silenceVerdict(state.observations, command.at, settings), command.at, settings, events)
      return
    }
    if (command.command === 'check-offline') {
      // Raised at the moment the grace ran out, if the device is still offline by this state.
      const due = offlineDueAt(state.observations, settings)
      // Due within a cooldown, it fires once the cooldown is over: the clock asks again until then.
      const at = Math.max(due ?? 0, state.rules.offline?.quietUntil ?? 0)
      if (settings.offline.enabled && due !== undefined && at <= command.at) this.advance(state, 'offline', offlineVerdict(state.observations, command.at, settings), at, settings, events)
      return
    }
    if (command.command === 'check-lid') {
      // Fired at the moment the grace ran out (event time), if the lid is still open by this state.
      const due = lidOpenDueAt(state.observations, settings)
      if (settings.tamper.enabled && due !== undefined && due <= command.at) this.advance(state, 'tamper', evaluate('tamper', state.observations, due, settings), due, settings, events)
      return
    }
    const ruleState = state.rules[command.rule]
    if (!ruleState) return
    const transition = command.command === 'ack' ? acknowledge(ruleState, command.alertId, command.at, command.by) : resolveFromOutside(ruleState, command.alertId, command.at, command.by, settings.cooldownMinutes)
    if (transition) events.push(alertEventOf(transition, command.rule, subject))
  }

  /** A removed device's tombstone: its open alerts resolve (nobody will see them clear), and its state goes. */
  private forgetRemoved(record: IncomingRecord, events: AlertEvent[]): void {
    const state = this.store.get(record.key)
    if (state === undefined) return
    const subject = state.subject
    // The state goes right after, so resolving may change it.
    for (const [rule, ruleState] of Object.entries(state.rules) as [RuleName, RuleState][]) {
      const transition = subject && ruleState.alertId !== undefined ? resolveFromOutside(ruleState, ruleState.alertId, record.timestamp, 'the device being removed from the registry', 0) : undefined
      if (transition) events.push(alertEventOf(transition, rule, subject!))
    }
    this.store.delete(record.key)
    this.counters.add('devicesForgotten')
  }

  private advance(state: AlertDeviceState, rule: RuleName, verdict: Verdict, time: number, settings: RuleSettings, events: AlertEvent[]): void {
    const ruleState: RuleState = (state.rules[rule] ??= { phase: 'idle' })
    const transition = step(ruleState, verdict, rule, state.subject!.deviceId, time, settings.cooldownMinutes)
    if (transition) events.push(alertEventOf(transition, rule, state.subject!))
  }

  /** A site's weighings and container weights, applied to its balance; every window they close is judged. */
  private applyFlow(state: AlertDeviceState, siteKey: string, flow: SiteFlow, events: AlertEvent[]): void {
    const settings = this.deps.rules.settingsFor({ tenant: flow.tenant, kind: 'weighing_device' })
    // The site's alerts point at its weighbridge: its location is where a crew goes.
    if (flow.weighingDevice || !state.subject) state.subject = { tenant: flow.tenant, site: flow.site, deviceId: siteKey, kind: 'weighing_device', ...(flow.location ? { location: flow.location } : {}) }
    if (!settings.mass_balance.enabled) return
    const site = (state.site ??= emptySiteBalance())
    const { late } = addFlow(site, flow, settings.mass_balance)
    if (late > 0) this.counters.add('siteFlowsLate', late)
    for (const window of closeWindows(site, settings.mass_balance)) this.advance(state, 'mass_balance', balanceVerdict(window, settings.mass_balance), window.end, settings, events)
  }

  /**
   * Asks, through the commands topic, whether devices that should have reported by now have gone
   * silent, whether lids seen open are open past their grace period, and whether devices whose
   * session ended are still offline past theirs. The checks go through
   * the bus like any input, so their effect is applied once, in order with the device's readings,
   * and survives restarts like the rest of the state. Every instance checks every state it has
   * loaded; the owner of the device applies the check against its own, current state, so a check
   * sent from a stale copy changes nothing.
   */
  async checkClocks(now: number): Promise<number> {
    await this.reloadIfNeeded()
    const checks: OutgoingRecord[] = []
    const check = (command: 'check-silence' | 'check-lid' | 'check-offline', deviceId: string): void => {
      checks.push(alertCommandRecord(this.deps.config.alerts.topics.commands, { schema: 'circular.alert-command/v1', command, deviceId, at: now }))
    }
    for (const [deviceId, state] of this.store.entries()) {
      if (!state.subject || state.site) continue
      const settings = this.deps.rules.settingsFor(state.subject)
      const silenceDue = silenceDueAt(state.observations, settings)
      if (settings.silence.enabled && isIdleAt(state.rules.silence, now) && silenceDue !== undefined && now >= silenceDue) check('check-silence', deviceId)
      const lidDue = lidOpenDueAt(state.observations, settings)
      // Once a reading came after the grace ran out, that reading judged the lid already.
      if (settings.tamper.enabled && isIdleAt(state.rules.tamper, now) && lidDue !== undefined && now >= lidDue && (state.latestTime === undefined || lidDue > state.latestTime)) check('check-lid', deviceId)
      const offlineDue = offlineDueAt(state.observations, settings)
      if (settings.offline.enabled && isIdleAt(state.rules.offline, now) && offlineDue !== undefined && now >= offlineDue && offlineVerdict(state.observations, now, settings).kind === 'raise') check('check-offline', deviceId)
    }
    await this.deps.bus.publish(checks)
    return checks.length
  }
}

/** Whether a rule could fire for a device at `now`: no open alert, no cooldown running. */
function isIdleAt(rule: RuleState | undefined, now: number): boolean {
  return (rule?.phase ?? 'idle') === 'idle' && now >= (rule?.quietUntil ?? 0)
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
