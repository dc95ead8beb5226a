import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import type { OutgoingRecord } from '../../../core/bus/bus.js'
import type { EmbeddedBus } from '../../../core/bus/embedded-bus.js'
import { pipelineTopics } from '../../../core/bus/topics.js'
import type { Config } from '../../../core/config.js'
import { alertCommandRecord } from '../../../core/alerts/alert-command.js'
import { alertEvent, type AlertEvent } from '../../../core/alerts/alert-event.js'
import type { CanonicalReading, ReadingEnvelope } from '../../../models/reading.js'
import { AlertsProcessor } from '../../../processors/alerts/alerts-processor.js'
import { RulesSource } from '../../../processors/alerts/rules-source.js'
import { pointsRecord } from '../../../processors/points-record.js'
import { byPartition, embeddedPlatform, json, quietLogger, totalLag, type EmbeddedPlatform } from '../../support/embedded.js'
import { waitFor } from '../../support/pipeline.js'

const minute = 60_000
const hour = 60 * minute
const t0 = Date.parse('2026-11-02T08:00:00Z')

/**
 * The alerts processor's batches on the embedded bus: readings, commands and site flows in; alert
 * events, their points and re-keyed site flows out, and its state on the changelog topic.
 */
describe('alerts processor on the embedded bus', () => {
  let platform: EmbeddedPlatform
  let config: Config
  let bus: EmbeddedBus
  let offset = 0

  function setUp(overrides: Record<string, string> = {}): void {
    offset = 0
    // The cases publish before the processor starts: it must work through them, not start after them.
    platform = embeddedPlatform({ ALERT_GROUPS_START_AT: 'earliest', ...overrides })
    config = platform.config
    writeFileSync(join(platform.dir, 'alert-rules.json'), JSON.stringify({ version: 1, tenants: { city: { kinds: { weighing_device: { mass_balance: { enabled: true } } } } } }))
    bus = platform.openBus()
  }
  afterEach(async () => {
    await platform.cleanup()
  })

  const processor = (): AlertsProcessor => new AlertsProcessor({ config, bus, rules: new RulesSource(config.alerts.rulesFile, quietLogger), logger: quietLogger })
  const inputs = (): string[] => [config.bus.topics.readings, config.alerts.topics.commands, config.alerts.topics.siteFlows]
  const drained = (what: string) => waitFor(async () => (await totalLag(bus, config.alerts.groups.processor, inputs())) === 0, 15_000, what)
  const events = async (): Promise<AlertEvent[]> => (await bus.readAll(config.alerts.topics.events)).map((r) => alertEvent.parse(json(r)))
  const alertPoints = async () => (await bus.readAll(config.bus.topics.footprintPoints)).flatMap((r) => pointsRecord.parse(json(r)).points)

  const envelope = (deviceId: string, kind: ReadingEnvelope['kind'], readings: Omit<CanonicalReading, 'unit'>[], receivedAt = Math.max(...readings.map((r) => r.time))): OutgoingRecord => {
    const value: ReadingEnvelope = {
      schema: 'circular.readings/v1',
      tenant: 'city',
      site: 'rc-1',
      deviceId,
      kind,
      format: 'senml',
      receivedAt,
      source: { topic: config.bus.topics.raw, partition: 0, offset: String(offset++) },
      readings: readings.map((r) => ({ unit: '', ...r })),
      location: { type: 'Point', coordinates: [4.4, 51.2] },
    }
    return { topic: config.bus.topics.readings, key: deviceId, value: Buffer.from(JSON.stringify(value)), headers: {} }
  }
  const fill = (value: number, time: number, receivedAt?: number): OutgoingRecord => envelope('bin-1', 'waste_container', [{ attribute: 'fillingLevel', measurement: 'waste_container', field: 'filling_level', value, time }], receivedAt)
  const weighing = (kg: number, direction: 'in' | 'out', time: number): OutgoingRecord =>
    envelope('bridge-1', 'weighing_device', [
      { attribute: 'weight', measurement: 'waste_weighing', field: 'net_weight_kg', value: kg, time },
      { attribute: 'direction', measurement: 'waste_weighing', field: 'direction', value: direction, time },
    ])
  const resend = (record: OutgoingRecord): OutgoingRecord => {
    const value = JSON.parse(record.value.toString('utf8')) as ReadingEnvelope
    return { ...record, value: Buffer.from(JSON.stringify({ ...value, source: { ...value.source, offset: String(offset++) } })) }
  }

  test('a full container should raise one alert with its point for the sink, and resolve once emptied; a malformed record changes nothing', async () => {
    setUp()
    await bus.ensureTopics(pipelineTopics(config.bus, config.alerts))
    const full = fill(0.9, t0 + minute)
    await bus.publish([fill(0.5, t0), full, resend(full), { topic: config.bus.topics.readings, key: 'bin-1', value: Buffer.from('{"schema"'), headers: {} }, fill(0.95, t0 + 2 * minute), fill(0.1, t0 + 3 * minute)])
    const p = processor()
    const consumption = await p.start()
    await drained('the readings')
    await consumption.stop()

    const [firing, resolved, ...others] = await events()
    expect(others).toEqual([])
    expect(firing).toMatchObject({ phase: 'firing', rule: 'fill', deviceId: 'bin-1', firedAt: t0 + minute, value: 0.9, location: { coordinates: [4.4, 51.2] } })
    expect(resolved).toMatchObject({ phase: 'resolved', alertId: firing!.alertId, at: t0 + 3 * minute })
    expect((await alertPoints()).map((pt) => [pt.measurement, pt.tags.phase, pt.fields.alert_id])).toEqual([
      ['alerts', 'firing', firing!.alertId],
      ['alerts', 'resolved', firing!.alertId],
    ])
    expect(p.counters.snapshot()).toMatchObject({ received: 6, applied: 4, skippedRepeat: 1, ignored: 1, fired: 1, resolved: 1, stateReloads: 1 })
  })

  test('weighings should go round the site-flows topic to the site state, and a resent weighing should not count twice in the balance', async () => {
    setUp()
    await bus.ensureTopics(pipelineTopics(config.bus, config.alerts))
    const inflow = weighing(1000, 'in', t0)
    const p = processor()
    const consumption = await p.start()
    await bus.publish([inflow, weighing(400, 'out', t0 + hour), resend(inflow)])
    await drained('the first day')
    // The next day's first weighing, more than an hour past midnight, closes the day.
    await bus.publish([weighing(10, 'in', t0 + 26 * hour)])
    await waitFor(async () => (await events()).length > 0, 15_000, 'the balance alert')
    await drained('everything')
    await consumption.stop()

    const flows = await bus.readAll(config.alerts.topics.siteFlows)
    expect(flows.map((r) => r.key)).toEqual(['site:city/rc-1', 'site:city/rc-1', 'site:city/rc-1'])
    // 1000 in, 400 out, no weighed stock: 600 kg unaccounted for; the resend would have made it 1600.
    expect((await events()).map((e) => [e.rule, e.phase, e.deviceId, e.value, e.at])).toEqual([['mass_balance', 'firing', 'site:city/rc-1', 600, Date.parse('2026-11-03T00:00:00Z')]])
    expect(p.counters.get('skippedRepeat')).toBe(1)
  })

  test('a processor restarted on the same bus file should resume from its changelog: an acknowledgement and a resolution of the alert raised before, nothing raised twice', async () => {
    setUp()
    await bus.ensureTopics(pipelineTopics(config.bus, config.alerts))
    await bus.publish([fill(0.5, t0), fill(0.9, t0 + minute)])
    const running = await processor().start()
    await drained('the first readings')
    await running.stop()
    const [firing] = await events()
    await bus.close()

    bus = platform.openBus()
    await bus.publish([
      alertCommandRecord(config.alerts.topics.commands, { schema: 'circular.alert-command/v1', command: 'ack', alertId: firing!.alertId, rule: 'fill', deviceId: 'bin-1', by: 'ops', at: t0 + 2 * minute }),
      fill(0.92, t0 + 3 * minute),
      fill(0.1, t0 + 4 * minute),
    ])
    const restarted = processor()
    const again = await restarted.start()
    await drained('what came while it was down')
    await again.stop()

    expect((await events()).map((e) => [e.phase, e.alertId])).toEqual([
      ['firing', firing!.alertId],
      ['acknowledged', firing!.alertId],
      ['resolved', firing!.alertId],
    ])
    expect(restarted.counters.snapshot()).toMatchObject({ received: 3, applied: 3, skippedAlreadyApplied: 0, stateReloads: 1 })
  })

  test('records applied before a crash but not committed should be skipped by the positions their state reflects', async () => {
    setUp()
    await bus.ensureTopics(pipelineTopics(config.bus, config.alerts))
    await bus.publish([fill(0.9, t0), fill(0.2, t0 + 5 * minute)])
    // The crashed run: events and state published, offsets never committed.
    for (const batch of byPartition(await bus.readAll(config.bus.topics.readings))) await processor().handleBatch(batch)
    expect((await events()).map((e) => e.phase)).toEqual(['firing', 'resolved'])

    const restarted = processor()
    const consumption = await restarted.start()
    await drained('the uncommitted records')
    await consumption.stop()
    expect(restarted.counters.get('skippedAlreadyApplied')).toBe(2)
    expect(await events()).toHaveLength(2)
  })

  test("a device gone silent should be found by the processor's clock through the commands topic, and raise one alert however many times the clock ticks", async () => {
    setUp({ ALERT_SILENCE_CHECK_MS: '100' })
    await bus.ensureTopics(pipelineTopics(config.bus, config.alerts))
    // Arrived four hours ago; built in: silent after three missed hourly intervals.
    const arrived = Date.now() - 4 * hour
    await bus.publish([fill(0.3, arrived, arrived)])
    const started = Date.now()
    const p = processor()
    const consumption = await p.start()
    await waitFor(async () => (await events()).length > 0, 15_000, 'the silence alert')
    // Ticks after the alert fired find the rule open and ask nothing more.
    await new Promise((resolve) => setTimeout(resolve, 500))
    await drained('the checks')
    await consumption.stop()

    const [silence, ...others] = await events()
    expect(others).toEqual([])
    expect(silence).toMatchObject({ rule: 'silence', phase: 'firing', deviceId: 'bin-1' })
    expect(silence!.at).toBeGreaterThanOrEqual(started)
    const commands = (await bus.readAll(config.alerts.topics.commands)).map((r) => json<{ command: string; deviceId: string }>(r))
    expect(commands.map((c) => [c.command, c.deviceId])).toEqual([['check-silence', 'bin-1']])
  })
})
