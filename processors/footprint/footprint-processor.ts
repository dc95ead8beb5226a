import type { BatchContext, Bus, Consumption, IncomingRecord, OutgoingRecord } from '../../core/bus/bus.js'
import { publishFromBatch } from '../../core/bus/batch-publish.js'
import { pipelineTopics } from '../../core/bus/topics.js'
import type { Config } from '../../core/config.js'
import { Counters } from '../../core/counters.js'
import type { Logger } from '../../core/logger.js'
import type { Point } from '../../core/store/store.js'
import { readingEnvelope, type ReadingEnvelope } from '../../models/reading.js'
import { groupIds } from '../group-ids.js'
import { deadLetterRecord } from '../dead-letter.js'
import { encodePointsRecords } from '../points-record.js'
import { recordBytes } from '../../core/bus/record-size.js'
import { forgetBefore, identitiesPerDevice, newestObservation, readingsIdentity, recordMessage, seenMessagesOf } from '../reading-identity.js'
import { ChangelogStore } from '../../core/state/changelog-store.js'
import { defaultContainerSettings, deriveFromFill, deriveFromWeight, rollUpTemperature, type ContainerSettings } from './derive-container.js'
import { deriveConsumption } from './derive-energy.js'
import { deriveMaterialFlow } from './derive-weighing.js'
import { cumulativeRegisters, meterTypeOf } from '../../models/meter-registers.js'
import { weighingsOf } from '../../models/weighings.js'
import { isContainerTemperature, isContainerWeight, isFillLevel } from './inputs.js'
import { contribute, evictClosedWindows } from './rollups.js'
import { emptyState, type DeviceState } from './state.js'
import { parseJsonOrUndefined } from '../../core/json.js'
import { poisonGuarded } from '../poison-records.js'

export const footprintCounterNames = ['received', 'applied', 'skippedAlreadyApplied', 'skippedRepeat', 'tooLate', 'points', 'stateReloads', 'devicesForgotten', 'statusEvents'] as const

const stage = 'footprint'

/**
 * Turns canonical readings into footprint inputs: energy consumption from meter registers,
 * collection events, fill rates and overflows of containers, and material flows at weighbridges,
 * rolled up per device into hour, day and month windows in event time.
 *
 * Exactly-once effect on restart: per batch, the output points are made durable first, then
 * the changed device states (each with the offset it reflects) go to a compacted changelog, then
 * the offsets are committed. A record whose offset a state already reflects is not applied again,
 * nor is a readings message the device's state remembers (a device's resend, a normaliser's
 * replay: new records with the same content); outputs are upserts (same series and time), so
 * re-emitting them is harmless.
 */
export class FootprintProcessor {
  readonly counters = new Counters(stage, footprintCounterNames)
  private readonly store: ChangelogStore<DeviceState>
  private needsReload = true
  /** Partition numbers this instance owns (the same for its inputs and its state); all until the bus says otherwise. */
  private owned: readonly number[] | undefined

  constructor(
    private readonly deps: { config: Config; bus: Bus; logger: Logger },
    private readonly containerSettings: ContainerSettings = defaultContainerSettings,
  ) {
    this.store = new ChangelogStore(deps.bus, deps.config.bus.topics.footprintState)
  }

  async start(groupId = groupIds.footprint(this.deps.config.bus.groupPrefix)): Promise<Consumption> {
    const { bus, config } = this.deps
    await bus.ensureTopics(pipelineTopics(config.bus))
    return bus.consume({
      groupId,
      // The devices topic brings removals, on the partition of the device's readings.
      topics: [config.bus.topics.readings, config.bus.topics.devices],
      copartitioned: true,
      handleBatch: poisonGuarded((records, context) => this.handleBatch(records, context), this.deps, stage),
      // Partitions may have moved: another instance may have advanced their devices' state.
      onAssignment: (assigned) => {
        this.owned = [...new Set(assigned.map((a) => a.partition))]
        this.needsReload = true
      },
      // A batch applied in memory whose outputs the bus discarded: memory is ahead of the changelog.
      onDiscarded: () => (this.needsReload = true),
    })
  }

  /**
   * Applies a batch. Under a consumption, its points, dead letters and device states commit with
   * its offsets (`context.publish`); called without a context, they are published in that order.
   */
  async handleBatch(records: readonly IncomingRecord[], context?: BatchContext): Promise<void> {
    try {
      if (this.needsReload) {
        const devices = await this.store.load({ partitions: this.owned })
        this.needsReload = false
        this.counters.add('stateReloads')
        this.deps.logger.info({ devices }, 'footprint state loaded from changelog')
      }
      const points: Point[] = []
      const deadLetters: OutgoingRecord[] = []
      for (const record of records) {
        if (record.topic === this.deps.config.bus.topics.devices) {
          this.forgetIfRemoved(record)
          continue
        }
        this.counters.add('received')
        const parsed = readingEnvelope.safeParse(parseJsonOrUndefined(record.value))
        if (!parsed.success) continue // the sink dead-letters malformed envelopes; nothing to derive
        // Connections coming and going are no telemetry: no footprint, no completeness.
        if (parsed.data.format === 'device-status') {
          this.counters.add('statusEvents')
          continue
        }
        const previous = this.store.get(parsed.data.deviceId)
        if (previous && previous.partition === record.partition && BigInt(previous.offset) >= BigInt(record.offset)) {
          this.counters.add('skippedAlreadyApplied')
          continue
        }
        // Changed in place: a batch that fails, or whose commit is discarded, reloads every state from the changelog.
        const state: DeviceState = previous ?? emptyState(record.partition, record.offset)
        state.partition = record.partition
        state.offset = record.offset
        const { allowedLatenessMs } = this.deps.config.footprint
        const seen = seenMessagesOf(state, state.maxEventTime)
        const observed = newestObservation(parsed.data)
        const verdict = recordMessage(seen, readingsIdentity(parsed.data), observed)
        if (verdict === 'repeat') {
          // Already in the rollups: a device resent it, or it was normalised twice.
          this.store.stage(parsed.data.deviceId, state)
          this.counters.add('skippedRepeat')
          continue
        }
        if (verdict === 'unknowable') {
          // A device sending more messages than are kept within the lateness: too old to tell from a repeat, so it must not count.
          const reasons = parsed.data.readings.map((r) => ({ code: 'READING_TOO_LATE' as const, attribute: r.attribute, message: `observed at ${new Date(r.time).toISOString()}, before the oldest of the last ${identitiesPerDevice} messages this device's repeat check keeps; stored, but not in rollups` }))
          this.store.stage(parsed.data.deviceId, state)
          this.counters.add('tooLate', reasons.length)
          deadLetters.push(deadLetterRecord(this.deps.config.bus.topics.deadLetter, stage, record, reasons, this.deps.config.bus.maxRecordBytes))
          continue
        }
        const tooLate = this.apply(state, parsed.data, points)
        forgetBefore(seen, state.maxEventTime - allowedLatenessMs)
        this.store.stage(parsed.data.deviceId, state)
        this.counters.add('applied')
        if (tooLate.length > 0) {
          this.counters.add('tooLate', tooLate.length)
          deadLetters.push(deadLetterRecord(this.deps.config.bus.topics.deadLetter, stage, record, tooLate, this.deps.config.bus.maxRecordBytes))
        }
      }
      const out: OutgoingRecord[] = [...deadLetters]
      const { topics, maxRecordBytes } = this.deps.config.bus
      for (const [device, ps] of groupByDevice(points)) {
        const room = maxRecordBytes - recordBytes({ topic: topics.footprintPoints, key: device, value: Buffer.alloc(0), headers: {} })
        for (const value of encodePointsRecords(ps, room)) out.push({ topic: topics.footprintPoints, key: device, value, headers: {} })
      }
      await publishFromBatch(this.deps.bus, context, out)
      await this.store.flush(context?.publish)
      this.counters.add('points', points.length)
    } catch (error) {
      // In-memory states may be ahead of what is durable: start again from the changelog.
      this.needsReload = true
      throw error
    }
  }

  /** A device's tombstone on the devices topic: it was removed from the registry, and its state goes (a tombstone in the changelog). */
  private forgetIfRemoved(record: IncomingRecord): void {
    if (!record.tombstone || this.store.get(record.key) === undefined) return
    this.store.delete(record.key)
    this.counters.add('devicesForgotten')
  }

  /** Applies one envelope to its device's state, appending output points; returns the readings that came too late. */
  private apply(state: DeviceState, envelope: ReadingEnvelope, points: Point[]): { code: 'READING_TOO_LATE'; message: string; attribute: string }[] {
    // The normaliser enriched the envelope from the registry when the reading was taken in.
    const { fraction, fullnessThreshold } = envelope
    const tags: Record<string, string> = { tenant: envelope.tenant, site: envelope.site, device: envelope.deviceId, ...(fraction ? { fraction } : {}) }
    const settings = fullnessThreshold !== undefined ? { ...this.containerSettings, fullAt: fullnessThreshold } : this.containerSettings
    const watermark = state.maxEventTime - this.deps.config.footprint.allowedLatenessMs
    const tooLate: { code: 'READING_TOO_LATE'; message: string; attribute: string }[] = []
    const late = (attribute: string, time: number): boolean => {
      if (time >= watermark) return false
      tooLate.push({ code: 'READING_TOO_LATE', attribute, message: `observed at ${new Date(time).toISOString()}, before the rollup watermark ${new Date(watermark).toISOString()}; stored, but not in rollups` })
      return true
    }

    for (const reading of [...envelope.readings].sort((a, b) => a.time - b.time)) {
      const counter = cumulativeRegisters[`${reading.measurement}.${reading.field}`]
      if (counter && typeof reading.value === 'number') {
        if (!late(reading.attribute, reading.time)) points.push(...deriveConsumption(state, tags, reading, { ...counter, meterType: meterTypeOf(envelope, counter) }))
      } else if (isFillLevel(reading)) {
        if (!late(reading.attribute, reading.time)) points.push(...deriveFromFill(state, tags, reading.value as number, reading.time, settings))
      } else if (isContainerWeight(reading)) {
        if (!late(reading.attribute, reading.time)) points.push(...deriveFromWeight(state, tags, reading.value as number, reading.time))
      } else if (isContainerTemperature(reading)) {
        if (!late(reading.attribute, reading.time)) points.push(...rollUpTemperature(state, tags, reading.value as number, reading.time))
      }
      state.maxEventTime = Math.max(state.maxEventTime, reading.time)
    }
    // Telemetry completeness (M18): which hours heard from the device at all.
    const newest = Math.max(...envelope.readings.map((r) => r.time))
    if (newest >= watermark) points.push(...contribute(state, tags, { measurement: 'telemetry_rollup', dims: {}, time: newest, add: { messages: 1, readings: envelope.readings.length } }))
    for (const weighing of weighingsOf(envelope)) {
      if (!late('weight', weighing.time)) points.push(...deriveMaterialFlow(state, tags, weighing))
    }
    evictClosedWindows(state, state.maxEventTime - this.deps.config.footprint.allowedLatenessMs)
    return tooLate
  }
}

function groupByDevice(points: readonly Point[]): [string, Point[]][] {
  const byDevice = new Map<string, Point[]>()
  for (const p of points) {
    const device = p.tags.device ?? ''
    let list = byDevice.get(device)
    if (!list) byDevice.set(device, (list = []))
    list.push(p)
  }
  return [...byDevice]
}
