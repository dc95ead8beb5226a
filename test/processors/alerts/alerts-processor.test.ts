import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import type { Bus, IncomingRecord, OutgoingRecord } from '../../../core/bus/bus.js'
import { loadConfig } from '../../../core/config.js'
import { createLogger } from '../../../core/logger.js'
import type { ReadingEnvelope } from '../../../models/reading.js'
import { alertCommandRecord } from '../../../core/alerts/alert-command.js'
import { alertEvent, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { AlertsProcessor } from '../../../processors/alerts/alerts-processor.js'
import { RulesSource } from '../../../processors/alerts/rules-source.js'
import { pointsRecord } from '../../../processors/points-record.js'

const logger = createLogger('silent', 'test')
const config = loadConfig({})
const minute = 60_000
const t0 = Date.parse('2026-11-02T08:00:00Z')

/** Topics as append-only arrays; `failOn` makes publishing to one topic fail, like a crash before it. */
class MemoryBus {
  readonly topics = new Map<string, IncomingRecord[]>()
  failOn: string | undefined

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.some((r) => r.topic === this.failOn)) throw new Error(`publish to ${this.failOn} failed`)
    for (const r of records) {
      const list = this.topics.get(r.topic) ?? []
      list.push({ ...r, partition: 0, offset: String(list.length), timestamp: 0 })
      this.topics.set(r.topic, list)
    }
  }

  async readAll(topic: string): Promise<IncomingRecord[]> {
    return [...(this.topics.get(topic) ?? [])]
  }

  events(): AlertEvent[] {
    return (this.topics.get(config.alerts.topics.events) ?? []).map((r) => alertEvent.parse(JSON.parse(r.value.toString('utf8'))))
  }
}

function processor(bus: MemoryBus): AlertsProcessor {
  return new AlertsProcessor({ config, bus: bus as unknown as Bus, rules: new RulesSource(undefined, logger), logger })
}

let offset = 0
function readingsRecord(minutes: number, fill: number, receivedAt = t0 + minutes * minute): IncomingRecord {
  const time = t0 + minutes * minute
  const envelope: ReadingEnvelope = {
    schema: 'circular.readings/v1',
    tenant: 'city',
    site: 'north',
    deviceId: 'bin-1',
    kind: 'waste_container',
    format: 'senml',
    receivedAt,
    source: { topic: 'raw', partition: 0, offset: '0' },
    readings: [{ attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value: fill, unit: 'ratio', time }],
    location: { type: 'Point', coordinates: [4.42, 51.21] },
  }
  return { topic: config.bus.topics.readings, partition: 0, offset: String(offset++), key: 'bin-1', value: Buffer.from(JSON.stringify(envelope)), headers: {}, timestamp: time }
}

describe('alerts processor', () => {
  test('a full container should produce one firing event, its point for the sink, and a state with the offset it reflects', async () => {
    const bus = new MemoryBus()
    const records = [readingsRecord(0, 0.5), readingsRecord(1, 0.9), readingsRecord(2, 0.95)]
    await processor(bus).handleBatch(records)
    const events = bus.events()
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({ phase: 'firing', rule: 'fill', tenant: 'city', site: 'north', deviceId: 'bin-1', firedAt: t0 + minute, value: 0.9, location: { coordinates: [4.42, 51.21] } })
    const points = (bus.topics.get(config.bus.topics.footprintPoints) ?? []).flatMap((r) => pointsRecord.parse(JSON.parse(r.value.toString('utf8'))).points)
    expect(points).toEqual([
      { measurement: 'alerts', tags: { tenant: 'city', site: 'north', device: 'bin-1', kind: 'waste_container', rule: 'fill', phase: 'firing' }, fields: { alert_id: events[0]!.alertId, fired_at: t0 + minute, value: 0.9, reason: 'fill 0.9 at or above 0.8' }, time: t0 + minute },
    ])
    const state = bus.topics.get(config.alerts.topics.state)!.at(-1)!
    expect(JSON.parse(state.value.toString('utf8'))).toMatchObject({ positions: { [`${config.bus.topics.readings}:0`]: records[2]!.offset } })
  })

  test("a removed device's tombstone should resolve its open alert and delete its state, so a restart finds none", async () => {
    const bus = new MemoryBus()
    await processor(bus).handleBatch([readingsRecord(0, 0.5), readingsRecord(1, 0.9)])
    const [firing] = bus.events()
    expect(firing).toMatchObject({ phase: 'firing', deviceId: 'bin-1' })
    const removedAt = t0 + 10 * minute
    const tombstone: IncomingRecord = { topic: config.bus.topics.devices, partition: 0, offset: '0', key: 'bin-1', value: Buffer.alloc(0), headers: {}, timestamp: removedAt, tombstone: true }
    const p = processor(bus)
    await p.handleBatch([tombstone])
    expect(bus.events().slice(1)).toEqual([expect.objectContaining({ alertId: firing!.alertId, phase: 'resolved', at: removedAt, reason: 'closed by the device being removed from the registry' })])
    expect(p.counters.snapshot()).toMatchObject({ devicesForgotten: 1, resolved: 1 })
    expect(bus.topics.get(config.alerts.topics.state)!.at(-1)).toMatchObject({ key: 'bin-1', tombstone: true })
    // Again, as after a crash before the commit: nothing left to resolve or delete.
    const restarted = processor(bus)
    await restarted.handleBatch([tombstone])
    expect(bus.events()).toHaveLength(2)
    expect(restarted.counters.get('devicesForgotten')).toBe(0)
  })

  test('a restarted processor should skip records its state reflects, and an acknowledgement should reach the state', async () => {
    const bus = new MemoryBus()
    const first = [readingsRecord(0, 0.9), readingsRecord(1, 0.1)]
    await processor(bus).handleBatch(first)
    const restarted = processor(bus)
    const later = readingsRecord(40, 0.92)
    await restarted.handleBatch([...first, later])
    expect(restarted.counters.get('skippedAlreadyApplied')).toBe(2)
    const events = bus.events()
    expect(events.map((e) => e.phase)).toEqual(['firing', 'resolved', 'firing'])

    const open = events[2]!
    const ack = alertCommandRecord(config.alerts.topics.commands, { schema: 'circular.alert-command/v1', command: 'ack', alertId: open.alertId, rule: 'fill', deviceId: 'bin-1', by: 'ops', at: t0 + 41 * minute })
    const ackRecord: IncomingRecord = { ...ack, partition: 0, offset: '0', timestamp: 0 }
    await restarted.handleBatch([ackRecord])
    await processor(bus).handleBatch([ackRecord, readingsRecord(42, 0.95)])
    expect(bus.events().slice(3)).toEqual([expect.objectContaining({ phase: 'acknowledged', alertId: open.alertId, at: t0 + 41 * minute, reason: 'acknowledged by ops' })])
  })

  test('a crash after the events are durable but before the state should replay the same events under the same ids', async () => {
    const bus = new MemoryBus()
    const records = [readingsRecord(0, 0.9), readingsRecord(5, 0.2)]
    bus.failOn = config.alerts.topics.state
    const crashing = processor(bus)
    await expect(crashing.handleBatch(records)).rejects.toThrow('failed')
    bus.failOn = undefined
    await crashing.handleBatch(records)
    const events = bus.events()
    expect(events.map((e) => e.phase)).toEqual(['firing', 'resolved', 'firing', 'resolved'])
    expect(events.slice(2)).toEqual(events.slice(0, 2))
    await processor(bus).handleBatch(records)
    expect(bus.events()).toHaveLength(4)
  })

  test('a device silent for its missed intervals should raise one silence alert, found by the clock, and its next reading should resolve it', async () => {
    const bus = new MemoryBus()
    const p = processor(bus)
    const received = Date.parse('2026-11-20T10:00:00Z')
    await p.handleBatch([readingsRecord(0, 0.3, received)])
    // Defaults: expected every 60 min, silent after 3 missed intervals.
    expect(await p.checkClocks(received + 179 * minute)).toBe(0)
    expect(await p.checkClocks(received + 180 * minute)).toBe(1)
    const commands = () => (bus.topics.get(config.alerts.topics.commands) ?? []).map((r) => ({ ...r, partition: 0 }))
    await p.handleBatch(commands())
    expect(await p.checkClocks(received + 200 * minute)).toBe(0)
    await p.handleBatch([readingsRecord(1, 0.3, received + 210 * minute)])
    expect(bus.events().map((e) => [e.rule, e.phase, e.at - received])).toEqual([
      ['silence', 'firing', 180 * minute],
      ['silence', 'resolved', 210 * minute],
    ])
    // The next silence counts from the newest reading.
    expect(await p.checkClocks(received + 389 * minute)).toBe(0)
    expect(await p.checkClocks(received + 390 * minute)).toBe(1)
    // A restarted processor finds it from its changelog alone: a silent device sends nothing to wake it.
    expect(await processor(bus).checkClocks(received + 390 * minute)).toBe(1)
  })
})

function envelopeRecord(deviceId: string, kind: ReadingEnvelope['kind'], readings: ReadingEnvelope['readings'], extra: Partial<ReadingEnvelope> = {}): IncomingRecord {
  const envelope: ReadingEnvelope = { schema: 'circular.readings/v1', tenant: 'city', site: 'rc-1', deviceId, kind, format: 'senml', receivedAt: readings[0]!.time, source: { topic: 'raw', partition: 0, offset: '0' }, readings, ...extra }
  return { topic: config.bus.topics.readings, partition: 0, offset: String(offset++), key: deviceId, value: Buffer.from(JSON.stringify(envelope)), headers: {}, timestamp: 0 }
}

describe('alerts processor: clock checks and site balances', () => {
  test('a lid left open should be found by the clock with no further reading, fire at the end of its grace, and resolve when shut', async () => {
    const bus = new MemoryBus()
    const p = processor(bus)
    const lid = (minutes: number, open: boolean): IncomingRecord =>
      envelopeRecord('bin-lid', 'waste_container', [{ attribute: 'lidOpen', measurement: 'waste_container', field: 'lid_open', value: open, unit: '', time: t0 + minutes * minute }])
    await p.handleBatch([lid(0, true)])
    // Default grace 15 min.
    expect(await p.checkClocks(t0 + 14 * minute)).toBe(0)
    expect(await p.checkClocks(t0 + 16 * minute)).toBe(1)
    const commands = (): IncomingRecord[] => (bus.topics.get(config.alerts.topics.commands) ?? []).map((r) => ({ ...r, partition: 0 }))
    await p.handleBatch(commands())
    expect(await p.checkClocks(t0 + 17 * minute)).toBe(0)
    await p.handleBatch([lid(20, false)])
    expect(bus.events().map((e) => [e.rule, e.phase, (e.at - t0) / minute, e.value])).toEqual([
      ['tamper', 'firing', 15, 'lidOpen'],
      ['tamper', 'resolved', 20, undefined],
    ])
    // A second check of the same open lid, applied late, changes nothing.
    await p.handleBatch(commands().map((r) => ({ ...r, offset: String(Number(r.offset) + 100) })))
    expect(bus.events()).toHaveLength(2)
  })

  test('weighings should be re-keyed by site and balanced there, and a replayed readings record should not count twice', async () => {
    const bus = new MemoryBus()
    const rulesPath = join(mkdtempSync(join(tmpdir(), 'circular-rules-')), 'rules.json')
    writeFileSync(rulesPath, JSON.stringify({ version: 1, tenants: { city: { kinds: { weighing_device: { mass_balance: { enabled: true } } } } } }))
    const p = new AlertsProcessor({ config, bus: bus as unknown as Bus, rules: new RulesSource(rulesPath, logger), logger })
    const weigh = (hours: number, direction: string, kg: number): IncomingRecord => {
      const time = t0 + hours * 3_600_000
      return envelopeRecord('bridge-1', 'weighing_device', [
        { attribute: 'weight', measurement: 'waste_weighing', field: 'net_weight_kg', value: kg, unit: 'kg', time },
        { attribute: 'direction', measurement: 'waste_weighing', field: 'direction', value: direction, unit: '', time },
      ], { location: { type: 'Point', coordinates: [4.4, 51.2] } })
    }
    const day = [weigh(0, 'in', 1000), weigh(1, 'out', 400)]
    await p.handleBatch(day)
    expect(bus.topics.get(config.alerts.topics.siteFlows)!.map((r) => r.key)).toEqual(['site:city/rc-1', 'site:city/rc-1'])
    // The next day's first weighing, more than an hour past midnight, closes the day.
    await p.handleBatch([weigh(26, 'in', 10)])
    const flows = (): IncomingRecord[] => (bus.topics.get(config.alerts.topics.siteFlows) ?? []).map((r) => ({ ...r, partition: 0 }))
    // Each flow twice, as a replayed processor would publish it again: the site state applies it once.
    const all = flows()
    const doubled = [all[0]!, { ...all[0]!, offset: '100' }, all[1]!, { ...all[1]!, offset: '101' }, { ...all[2]!, offset: '102' }]
    await p.handleBatch(doubled)
    // 1000 in, 400 out, no weighed stock: 600 kg unaccounted for (more than max(50, 50)).
    expect(bus.events().map((e) => [e.rule, e.phase, e.deviceId, e.value, e.kind, e.location?.coordinates])).toEqual([['mass_balance', 'firing', 'site:city/rc-1', 600, 'weighing_device', [4.4, 51.2]]])
    expect(bus.events()[0]!.at).toBe(Date.parse('2026-11-03T00:00:00Z'))
  })
})
