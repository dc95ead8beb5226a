import { createHmac } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import type { IncomingRecord } from '../../../core/bus/bus.js'
import type { EmbeddedBus } from '../../../core/bus/embedded-bus.js'
import { header, pipelineTopics } from '../../../core/bus/topics.js'
import type { Config } from '../../../core/config.js'
import { alertRecord, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { deadLetterReasons } from '../../../processors/dead-letter.js'
import { AlertNotifier, type Delivery } from '../../../processors/alerts/notifier.js'
import { RulesSource } from '../../../processors/alerts/rules-source.js'
import { idempotencyHeader, signatureHeader } from '../../../processors/alerts/webhook.js'
import { pointsRecord } from '../../../processors/points-record.js'
import { byPartition, embeddedPlatform, json, quietLogger, runningContext, totalLag, type EmbeddedPlatform } from '../../support/embedded.js'
import { startHttpReceiver, type HttpReceiver } from '../../support/http-receiver.js'
import { waitFor } from '../../support/pipeline.js'

const opsSecret = 'ops-secret-0123456789'

/**
 * The notifier's batches on the embedded bus, delivering to a real HTTP receiver on loopback:
 * alert events in; webhook requests, outbox entries, delivery points and dead letters out.
 */
describe('alert notifier on the embedded bus', () => {
  let receiver: HttpReceiver
  let platform: EmbeddedPlatform
  let config: Config
  let bus: EmbeddedBus

  beforeAll(async () => {
    receiver = await startHttpReceiver()
  })
  afterAll(async () => {
    await receiver.close()
  })
  afterEach(async () => {
    await platform.cleanup()
  })

  async function setUp(overrides: Record<string, string> = {}): Promise<void> {
    receiver.received.length = 0
    receiver.answer({ status: 204 })
    // Loopback is where the test's receiver listens; delivery targets may not reach it otherwise.
    // The cases publish before the notifier starts: it must work through them, not start after them.
    platform = embeddedPlatform({ ALERT_DELIVERY_BACKOFF_MS: '1', ALERT_DELIVERY_MAX_ATTEMPTS: '3', ALERT_TARGETS_ALLOW: '127.0.0.1', ALERT_GROUPS_START_AT: 'earliest', ...overrides })
    config = platform.config
    writeFileSync(
      config.alerts.rulesFile,
      JSON.stringify({
        version: 1,
        tenants: {
          city: {
            webhooks: [
              { id: 'ops', url: `${receiver.url}/ops`, secret: opsSecret },
              { id: 'fire-brigade', url: `${receiver.url}/fire`, secret: 'fire-secret-0123456789', rules: ['fire'], phases: ['firing'] },
            ],
          },
        },
      }),
    )
    bus = platform.openBus()
    await bus.ensureTopics(pipelineTopics(config.bus, config.alerts))
  }

  const notifier = (): AlertNotifier => new AlertNotifier({ config, bus, rules: new RulesSource(config.alerts.rulesFile, quietLogger), logger: quietLogger })
  const drained = (what: string) => waitFor(async () => (await totalLag(bus, config.alerts.groups.notifier, [config.alerts.topics.events])) === 0, 15_000, what)
  const event = (rule: AlertEvent['rule'], phase: AlertEvent['phase'], alertId: string): AlertEvent => ({
    schema: 'circular.alert/v1',
    alertId,
    phase,
    rule,
    tenant: 'city',
    site: 'north',
    deviceId: 'bin-1',
    kind: 'waste_container',
    firedAt: Date.parse('2026-11-02T08:00:00Z'),
    at: Date.parse('2026-11-02T08:05:00Z'),
  })
  const publish = (...events: AlertEvent[]): Promise<void> => bus.publish(events.map((e) => alertRecord(config.alerts.topics.events, e)))
  /** The outbox as a compacted topic holds it: the newest entry per key. */
  const outbox = async (): Promise<Map<string, Delivery>> => {
    const entries = new Map<string, Delivery>()
    for (const r of await bus.readAll(config.alerts.topics.deliveries)) {
      if (r.tombstone) entries.delete(r.key)
      else entries.set(r.key, json<Delivery>(r))
    }
    return entries
  }
  const requests = (): string[] => receiver.received.map((r) => `${r.url} ${String(r.headers[idempotencyHeader])}`)
  const deadLetters = (): Promise<IncomingRecord[]> => bus.readAll(config.bus.topics.deadLetter)

  test('each subscriber should get the transitions it asked for, signed and retried until delivered; outbox and delivery points should record every attempt', async () => {
    await setUp()
    // Two failures for ops, then success; the fire brigade at once (each has its own queue, so arrival order between them is not fixed).
    let opsRequests = 0
    receiver.answerWith((request) => (request.url === '/ops' && ++opsRequests <= 2 ? { status: 503 } : { status: 204 }))
    await publish(event('fire', 'firing', 'a1-0123456789abcdef'), event('fire', 'resolved', 'a1-0123456789abcdef'))
    const n = notifier()
    const consumption = await n.start()
    await drained('both events')
    await waitFor(() => receiver.received.length >= 5, 15_000, 'five requests')
    await n.settled()
    await consumption.stop()

    expect(requests().filter((r) => r.startsWith('/ops '))).toEqual(['/ops a1-0123456789abcdef:firing', '/ops a1-0123456789abcdef:firing', '/ops a1-0123456789abcdef:firing', '/ops a1-0123456789abcdef:resolved'])
    expect(requests().filter((r) => r.startsWith('/fire '))).toEqual(['/fire a1-0123456789abcdef:firing'])
    const toOps = receiver.received.find((r) => r.url === '/ops')!
    expect(toOps.headers[signatureHeader]).toBe(`sha256=${createHmac('sha256', opsSecret).update(toOps.body).digest('hex')}`)
    expect(json({ value: toOps.body } as IncomingRecord)).toMatchObject({ alertId: 'a1-0123456789abcdef', phase: 'firing', rule: 'fire' })

    const entries = await outbox()
    expect([...entries].map(([key, d]) => [key, d.status, d.attempts.map((a) => a.status)])).toEqual([
      ['ops/a1-0123456789abcdef/firing', 'delivered', [503, 503, 204]],
      ['fire-brigade/a1-0123456789abcdef/firing', 'delivered', [204]],
      ['ops/a1-0123456789abcdef/resolved', 'delivered', [204]],
    ])
    // An ended entry keeps no copy of the transition.
    expect([...entries.values()].map((d) => d.event)).toEqual([undefined, undefined, undefined])
    // A delivery point per attempt recorded: two failed attempts and the success for ops, one each for the others.
    const points = (await bus.readAll(config.bus.topics.footprintPoints)).flatMap((r) => pointsRecord.parse(json(r)).points)
    const pointsOf = (subscriber: string) => points.filter((p) => p.tags.subscriber === subscriber).map((p) => [p.tags.phase, p.fields.status, p.fields.attempts])
    expect(pointsOf('ops')).toEqual([
      ['firing', 'pending', 1],
      ['firing', 'pending', 2],
      ['firing', 'delivered', 3],
      ['resolved', 'delivered', 1],
    ])
    expect(pointsOf('fire-brigade')).toEqual([['firing', 'delivered', 1]])
    expect(n.counters.snapshot()).toMatchObject({ received: 2, delivered: 3, attemptsFailed: 2, deadLettered: 0 })
    expect(await deadLetters()).toEqual([])
  })

  test('a delivery refused for good, or out of its retry budget, and an unreadable event should each be dead-lettered once with the reason', async () => {
    await setUp()
    // Events are keyed by alert, so the two may be handled in either order: each gets its own answer.
    receiver.answerWith((request) => (request.headers[idempotencyHeader] === 'a2-0123456789abcdef:firing' ? { status: 400 } : { status: 503 }))
    const unreadable = { topic: config.alerts.topics.events, key: 'x', value: Buffer.from('{"schema": "circular.alert/v1"}'), headers: {} }
    await publish(event('fill', 'firing', 'a2-0123456789abcdef'), event('fill', 'firing', 'a3-0123456789abcdef'))
    await bus.publish([unreadable])
    const n = notifier()
    const consumption = await n.start()
    await drained('the events')
    await waitFor(() => receiver.received.length >= 4, 15_000, 'four requests')
    await n.settled()
    await consumption.stop()

    // One attempt for the refused one, the budget of three for the failing one.
    expect(requests().sort()).toEqual(['/ops a2-0123456789abcdef:firing', '/ops a3-0123456789abcdef:firing', '/ops a3-0123456789abcdef:firing', '/ops a3-0123456789abcdef:firing'])
    const letters = (await deadLetters()).sort((a, b) => a.key.localeCompare(b.key))
    expect(letters.map((r) => [r.key, r.headers[header.dlqStage], r.headers[header.dlqCode], deadLetterReasons(r.headers)[0]?.message])).toEqual([
      ['a2-0123456789abcdef', 'alert-notifier', 'DELIVERY_FAILED', 'webhook ops after 1 attempts: HTTP 400'],
      ['a3-0123456789abcdef', 'alert-notifier', 'DELIVERY_FAILED', 'webhook ops after 3 attempts: HTTP 503'],
      ['x', 'alert-notifier', 'RECORD_INVALID', 'not a circular.alert/v1 event'],
    ])
    expect(letters[2]!.value.equals(unreadable.value)).toBe(true)
    expect([...(await outbox()).values()].map((d) => [d.alertId, d.status]).sort()).toEqual([
      ['a2-0123456789abcdef', 'dead'],
      ['a3-0123456789abcdef', 'dead'],
    ])
    expect(n.counters.get('deadLettered')).toBe(2)
  })

  test('events delivered before a crash but not committed should not be sent again, and a restart on the same bus file should deliver only what is new', async () => {
    await setUp()
    await publish(event('fire', 'firing', 'a4-0123456789abcdef'))
    // The crashed run: delivered and recorded in the outbox, offsets never committed.
    const crashed = notifier()
    for (const batch of byPartition(await bus.readAll(config.alerts.topics.events))) await crashed.handleBatch(batch, runningContext)
    await crashed.settled()
    expect(requests().sort()).toEqual(['/fire a4-0123456789abcdef:firing', '/ops a4-0123456789abcdef:firing'])

    const restarted = notifier()
    const running = await restarted.start()
    await drained('the uncommitted event')
    await restarted.settled()
    await running.stop()
    expect(restarted.counters.snapshot()).toMatchObject({ received: 1, alreadyDelivered: 2, delivered: 0 })
    await bus.close()

    bus = platform.openBus()
    await publish(event('fire', 'resolved', 'a4-0123456789abcdef'))
    const again = notifier()
    const second = await again.start()
    await drained('the new event')
    await waitFor(() => receiver.received.length >= 3, 15_000, 'the new request')
    await again.settled()
    await second.stop()
    expect(again.counters.snapshot()).toMatchObject({ received: 1, alreadyDelivered: 0, delivered: 1 })
    expect(requests().slice(2)).toEqual(['/ops a4-0123456789abcdef:resolved'])
  })

  test('a notifier stopped while retrying should leave the delivery pending in the outbox, and the next one should resume it from there and spend only the rest of the retry budget', async () => {
    await setUp()
    const stopping = await notifier().start()
    let stopped: Promise<void> | undefined
    // The notifier is told to stop while its first attempt is in flight: it must not try again.
    receiver.answerWith(() => {
      stopped ??= stopping.stop()
      return { status: 503 }
    })
    await publish(event('tamper', 'firing', 'a5-0123456789abcdef'))
    await waitFor(() => stopped !== undefined, 15_000, 'a first attempt')
    await stopped
    expect(receiver.received).toHaveLength(1)
    // The event is committed: its delivery is in the outbox, with the event, which is where the next notifier takes it from.
    expect(await totalLag(bus, config.alerts.groups.notifier, [config.alerts.topics.events])).toBe(0)
    expect(await deadLetters()).toEqual([])
    expect((await outbox()).get('ops/a5-0123456789abcdef/firing')).toMatchObject({ status: 'pending', attempts: [{ status: 503 }], event: { alertId: 'a5-0123456789abcdef', rule: 'tamper' } })

    const successor = notifier()
    const consumption = await successor.start()
    await waitFor(async () => (await deadLetters()).length > 0, 15_000, 'the delivery resumed and ended')
    await successor.settled()
    await consumption.stop()
    // Three attempts in all, the budget: a successor starting afresh would have made three more.
    expect(receiver.received).toHaveLength(3)
    expect(successor.counters.get('attemptsFailed')).toBe(2)
    expect(successor.counters.get('received')).toBe(0)
    expect((await deadLetters()).map((r) => deadLetterReasons(r.headers)[0]?.message)).toEqual(['webhook ops after 3 attempts: HTTP 503'])
  })

  test('one subscriber answering 503 for a long time should not delay another: each alert reaches it within a second of reaching the bus', async () => {
    await setUp({ ALERT_DELIVERY_MAX_ATTEMPTS: '50', ALERT_DELIVERY_BACKOFF_MS: '100' })
    const failingUntil = Date.now() + 20_000
    const arrivals = new Map<string, number>()
    receiver.answerWith((request) => {
      if (request.url === '/ops' && Date.now() < failingUntil) return { status: 503 }
      if (request.url === '/fire') arrivals.set(String(request.headers[idempotencyHeader]), Date.now())
      return { status: 204 }
    })
    const n = notifier()
    const consumption = await n.start()
    const published = new Map<string, number>()
    for (let i = 0; i < 10; i++) {
      const alertId = `f${i}-0123456789abcdef`
      published.set(`${alertId}:firing`, Date.now())
      await publish(event('fire', 'firing', alertId))
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
    await waitFor(() => arrivals.size === 10, 5000, 'every fire alert at the fire brigade')
    const late = [...published].map(([key, at]) => [key, arrivals.get(key)! - at] as const).filter(([, ms]) => ms >= 1000)
    expect(late).toEqual([])
    // ops was still failing all along, and gave nothing up.
    expect(Date.now()).toBeLessThan(failingUntil)
    expect(await deadLetters()).toEqual([])
    await consumption.stop()
  }, 60_000)

  test('a new notifier group should start after what is on the bus already (ALERT_GROUPS_START_AT=latest) and send only what comes after', async () => {
    await setUp({ ALERT_GROUPS_START_AT: 'latest' })
    await publish(event('fire', 'firing', 'a7-0123456789abcdef'))
    const n = notifier()
    const consumption = await n.start()
    await publish(event('fire', 'firing', 'a8-0123456789abcdef'))
    await drained('the event after the start')
    await waitFor(() => receiver.received.length >= 2, 15_000, 'two requests')
    await n.settled()
    await consumption.stop()
    expect(requests().sort()).toEqual(['/fire a8-0123456789abcdef:firing', '/ops a8-0123456789abcdef:firing'])
    expect(n.counters.snapshot()).toMatchObject({ received: 1, delivered: 2 })
  })

  test('transitions on the bus for longer than ALERT_DELIVERY_MAX_AGE_MS should be counted and not sent', async () => {
    await setUp({ ALERT_DELIVERY_MAX_AGE_MS: '1000' })
    await publish(event('fire', 'firing', 'a9-0123456789abcdef'))
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await publish(event('fill', 'firing', 'aa-0123456789abcdef'))
    const n = notifier()
    const consumption = await n.start()
    await drained('both events')
    await waitFor(() => receiver.received.length >= 1, 15_000, 'one request')
    await n.settled()
    await consumption.stop()
    // The fire alert is an hour-old observation either way; what counts is how long it waited on the bus.
    expect(requests()).toEqual(['/ops aa-0123456789abcdef:firing'])
    expect(n.counters.snapshot()).toMatchObject({ received: 2, tooOld: 1, delivered: 1, deadLettered: 0 })
    expect(await deadLetters()).toEqual([])
  })

  test('ended deliveries older than ALERT_DELIVERY_MAX_AGE_MS should be removed from the outbox with tombstones, and a restarted notifier should load without them', async () => {
    await setUp({ ALERT_DELIVERY_MAX_AGE_MS: '1000' })
    await publish(event('fire', 'firing', 'ab-0123456789abcdef'))
    const n = notifier()
    const consumption = await n.start()
    await waitFor(() => receiver.received.length >= 2, 15_000, 'both deliveries')
    await n.settled()
    expect(await n.compactOutbox()).toBe(0)
    expect([...(await outbox()).keys()].sort()).toEqual(['fire-brigade/ab-0123456789abcdef/firing', 'ops/ab-0123456789abcdef/firing'])
    expect(await n.compactOutbox(Date.now() + 1100)).toBe(2)
    await consumption.stop()
    expect(await outbox()).toEqual(new Map())
    const tombstones = (await bus.readAll(config.alerts.topics.deliveries)).filter((r) => r.tombstone).map((r) => r.key)
    expect(tombstones.sort()).toEqual(['fire-brigade/ab-0123456789abcdef/firing', 'ops/ab-0123456789abcdef/firing'])
    // Compaction leaves at most the tombstones; a notifier loading the outbox finds nothing.
    await bus.maintain()
    expect((await bus.readAll(config.alerts.topics.deliveries)).filter((r) => !r.tombstone)).toEqual([])
    const restarted = notifier()
    expect(await restarted.compactOutbox()).toBe(0)
  })
})
