import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Bus, IncomingRecord, OutgoingRecord } from '../../../core/bus/bus.js'
import { loadConfig } from '../../../core/config.js'
import { createLogger } from '../../../core/logger.js'
import { deadLetterReasons } from '../../../processors/dead-letter.js'
import { runningContext } from '../../support/embedded.js'
import type { AlertEvent } from '../../../core/alerts/alert-event.js'
import { AlertNotifier, type Delivery } from '../../../processors/alerts/notifier.js'
import { RulesSource } from '../../../processors/alerts/rules-source.js'
import type { AttemptOutcome } from '../../../processors/alerts/webhook.js'
import { waitFor } from '../../support/pipeline.js'

const logger = createLogger('silent', 'test')
const rulesPath = join(mkdtempSync(join(tmpdir(), 'circular-notifier-')), 'rules.json')
writeFileSync(
  rulesPath,
  JSON.stringify({
    version: 1,
    tenants: {
      city: {
        webhooks: [
          { id: 'ops', url: 'http://127.0.0.1:1/ops', secret: 'ops-secret-0123456789' },
          { id: 'fire-brigade', url: 'http://127.0.0.1:1/fire', secret: 'fire-secret-0123456789', rules: ['fire'], phases: ['firing'] },
        ],
      },
    },
  }),
)
const config = loadConfig({ ALERT_RULES_FILE: rulesPath, ALERT_DELIVERY_BACKOFF_MS: '1', ALERT_DELIVERY_MAX_ATTEMPTS: '3', ALERT_TARGETS_ALLOW: '127.0.0.1' })
const context = runningContext

class MemoryBus {
  readonly topics = new Map<string, IncomingRecord[]>()
  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    for (const r of records) {
      const list = this.topics.get(r.topic) ?? []
      list.push({ ...r, partition: 0, offset: String(list.length), timestamp: Date.now() })
      this.topics.set(r.topic, list)
    }
  }
  async readAll(topic: string): Promise<IncomingRecord[]> {
    return [...(this.topics.get(topic) ?? [])]
  }
}

function event(rule: AlertEvent['rule'], phase: AlertEvent['phase'], alertId = 'mh1x2y3z-0123456789abcdef'): IncomingRecord {
  const value: AlertEvent = { schema: 'circular.alert/v1', alertId, phase, rule, tenant: 'city', site: 'north', deviceId: 'bin-1', kind: 'waste_container', firedAt: 1, at: 2 }
  return { topic: config.alerts.topics.events, partition: 0, offset: '0', key: alertId, value: Buffer.from(JSON.stringify(value)), headers: {}, timestamp: Date.now() }
}

/** A receiver that answers from a script per subscriber, and remembers what it was sent. */
function scriptedSend(script: Record<string, AttemptOutcome['result'][]>): { sent: [string, string][]; send: (s: { id: string }, e: AlertEvent) => Promise<AttemptOutcome> } {
  const sent: [string, string][] = []
  return {
    sent,
    send: async (subscriber, e) => {
      sent.push([subscriber.id, `${e.rule}:${e.phase}`])
      const result = script[subscriber.id]?.shift() ?? 'delivered'
      return result === 'delivered' ? { result, status: 204 } : { result, status: result === 'retry' ? 503 : 400 }
    },
  }
}

function notifier(bus: MemoryBus, send: ReturnType<typeof scriptedSend>['send']): AlertNotifier {
  return new AlertNotifier({ config, bus: bus as unknown as Bus, rules: new RulesSource(rulesPath, logger), logger, send })
}

describe('alert notifier', () => {
  test('each subscriber should get the transitions it asked for, retried until delivered, and a restart should not send them again', async () => {
    const bus = new MemoryBus()
    const receiver = scriptedSend({ ops: ['retry', 'retry'] })
    const n = notifier(bus, receiver.send)
    await n.handleBatch([event('fire', 'firing'), event('fire', 'resolved')], context)
    await n.settled()
    // Each subscriber in order on its own queue; the two queues side by side.
    const to = (id: string) => receiver.sent.filter(([s]) => s === id).map(([, what]) => what)
    expect(to('ops')).toEqual(['fire:firing', 'fire:firing', 'fire:firing', 'fire:resolved'])
    expect(to('fire-brigade')).toEqual(['fire:firing'])
    expect(receiver.sent).toHaveLength(5)
    const again = scriptedSend({})
    const restarted = notifier(bus, again.send)
    await restarted.handleBatch([event('fire', 'firing'), event('fire', 'resolved')], context)
    await restarted.settled()
    expect(again.sent).toEqual([])
    expect(restarted.counters.get('alreadyDelivered')).toBe(3)
  })

  test('a delivery out of retry budget, or refused for good, should go to the dead-letter topic once', async () => {
    const bus = new MemoryBus()
    const receiver = scriptedSend({ ops: ['retry', 'retry', 'retry', 'refused'] })
    const n = notifier(bus, receiver.send)
    await n.handleBatch([event('fill', 'firing', 'a1-0123456789abcdef'), event('fill', 'firing', 'a2-0123456789abcdef')], context)
    await n.settled()
    // Three attempts for the first (the budget), one for the second (refused).
    expect(receiver.sent).toHaveLength(4)
    const dead = bus.topics.get(config.bus.topics.deadLetter) ?? []
    expect(dead.map((r) => [r.key, r.headers['dlq-stage'], deadLetterReasons(r.headers)[0]?.message])).toEqual([
      ['a1-0123456789abcdef', 'alert-notifier', 'webhook ops after 3 attempts: HTTP 503'],
      ['a2-0123456789abcdef', 'alert-notifier', 'webhook ops after 1 attempts: HTTP 400'],
    ])
    // The dead letter carries the transition itself, from the outbox entry.
    expect(JSON.parse(dead[0]!.value.toString('utf8'))).toMatchObject({ alertId: 'a1-0123456789abcdef', rule: 'fill', phase: 'firing' })
    expect(n.counters.get('deadLettered')).toBe(2)
    const later = notifier(bus, receiver.send)
    await later.handleBatch([event('fill', 'firing', 'a1-0123456789abcdef')], context)
    await later.settled()
    expect(receiver.sent).toHaveLength(4)
  })

  test('the retry budget should count attempts made before a restart', async () => {
    const bus = new MemoryBus()
    const script = scriptedSend({ ops: ['retry', 'retry'] })
    // The notifier stops while its second attempt is in flight: it records it and tries no more.
    const first: AlertNotifier = notifier(bus, async (s, e) => {
      const outcome = await script.send(s, e)
      if (script.sent.length === 2) void first.stopDeliveries()
      return outcome
    })
    await first.handleBatch([event('tamper', 'firing')], context)
    await first.settled()
    expect(script.sent).toHaveLength(2)
    expect(bus.topics.get(config.bus.topics.deadLetter)).toBeUndefined()
    const second = scriptedSend({ ops: ['retry'] })
    const successor = notifier(bus, second.send)
    await successor.handleBatch([event('tamper', 'firing')], context)
    await successor.settled()
    // Two attempts before the restart, one after: the budget of three is spent, so it is dead-lettered.
    expect(second.sent).toHaveLength(1)
    expect(bus.topics.get(config.bus.topics.deadLetter)).toHaveLength(1)
  })

  test('a receiver that keeps failing holds back only its own queue: the other subscriber gets every transition at once', async () => {
    const bus = new MemoryBus()
    const sent: [string, string][] = []
    // ops answers 503 to everything; the fire brigade answers at once.
    const send = async (subscriber: { id: string }, e: AlertEvent): Promise<AttemptOutcome> => {
      sent.push([subscriber.id, e.alertId])
      return subscriber.id === 'ops' ? { result: 'retry', status: 503 } : { result: 'delivered', status: 204 }
    }
    const slow = loadConfig({ ALERT_RULES_FILE: rulesPath, ALERT_DELIVERY_BACKOFF_MS: '200', ALERT_DELIVERY_MAX_ATTEMPTS: '20', ALERT_TARGETS_ALLOW: '127.0.0.1' })
    const n = new AlertNotifier({ config: slow, bus: bus as unknown as Bus, rules: new RulesSource(rulesPath, logger), logger, send })
    const fires = Array.from({ length: 5 }, (_, i) => `f${i}-0123456789abcdef`)
    for (const alertId of fires) await n.handleBatch([event('fire', 'firing', alertId)], context)
    const to = (id: string) => sent.filter(([s]) => s === id).map(([, alertId]) => alertId)
    await waitFor(() => to('fire-brigade').length === fires.length, 5000, 'every fire alert at the fire brigade')
    expect(to('fire-brigade')).toEqual(fires)
    // Meanwhile ops is still retrying its first alert: its own queue waits behind it, nothing else does.
    expect(new Set(to('ops'))).toEqual(new Set([fires[0]]))
    expect(n.queueDepths().get('city/webhook/ops')).toBe(fires.length)
    expect(bus.topics.get(slow.bus.topics.deadLetter)).toBeUndefined()
    await n.stopDeliveries()
  })
})

describe('delivery targets refused at delivery time', () => {
  /** A city's receiver on loopback, for webhooks and Open311: it must hear nothing unless loopback is allowed. */
  const received: string[] = []
  const receiver = createServer((req, res) => {
    received.push(`${req.method ?? ''} ${req.headers.host ?? ''} ${req.url ?? ''}`)
    req.resume()
    if (req.url?.endsWith('/requests.json')) res.writeHead(201, { 'content-type': 'application/json' }).end('[{"service_request_id":"7001"}]')
    else res.writeHead(204).end()
  })
  const directory = mkdtempSync(join(tmpdir(), 'circular-notifier-targets-'))
  const targetRules = join(directory, 'rules.json')
  let port = 0

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
    port = (receiver.address() as AddressInfo).port
    // Written straight to the file, as a hand edit would, so the API's check never saw it.
    writeFileSync(
      targetRules,
      JSON.stringify({
        version: 1,
        tenants: {
          city: {
            webhooks: [
              { id: 'loopback', url: `http://127.0.0.1:${port}/hook`, secret: 'loopback-secret-0123456789' },
              { id: 'named', url: `http://localhost:${port}/hook`, secret: 'named-secret-0123456789' },
              { id: 'decimal', url: `http://2130706433:${port}/hook`, secret: 'decimal-secret-0123456789' },
              { id: 'metadata', url: 'http://169.254.169.254/latest/meta-data/', secret: 'metadata-secret-0123456789' },
            ],
            open311: { id: 'city-311', endpoint: `http://[::ffff:127.0.0.1]:${port}/open311/v2`, apiKey: 'city-open311-key', serviceCodes: { fill: 'FULL' } },
          },
        },
      }),
    )
  })
  afterAll(async () => {
    receiver.closeAllConnections()
    await new Promise((resolve) => receiver.close(resolve))
  })

  const firing: AlertEvent = {
    schema: 'circular.alert/v1',
    alertId: 'mh1x2y3z-00000000000000ff',
    phase: 'firing',
    rule: 'fill',
    tenant: 'city',
    site: 'north',
    deviceId: 'bin-1',
    kind: 'waste_container',
    firedAt: 1,
    at: 2,
    location: { type: 'Point', coordinates: [4.42173, 51.21301] },
  }
  const record = (topic: string): IncomingRecord => ({ topic, partition: 0, offset: '0', key: firing.alertId, value: Buffer.from(JSON.stringify(firing)), headers: {}, timestamp: Date.now() })
  const outbox = (bus: MemoryBus, topic: string): Map<string, Delivery> => new Map((bus.topics.get(topic) ?? []).map((r) => [r.key, JSON.parse(r.value.toString('utf8')) as Delivery]))

  test('without ALERT_TARGETS_ALLOW, loopback and metadata targets are dead-lettered with the reason after one attempt, and the receiver gets nothing', async () => {
    const strict = loadConfig({ ALERT_RULES_FILE: targetRules, ALERT_DELIVERY_BACKOFF_MS: '1', ALERT_DELIVERY_MAX_ATTEMPTS: '3' })
    const bus = new MemoryBus()
    const n = new AlertNotifier({ config: strict, bus: bus as unknown as Bus, rules: new RulesSource(targetRules, logger), logger })
    await n.handleBatch([record(strict.alerts.topics.events)], context)
    await n.settled()

    expect(received).toEqual([])
    const rule = 'delivery targets must be public unless ALERT_TARGETS_ALLOW lists them'
    const dead = bus.topics.get(strict.bus.topics.deadLetter) ?? []
    // Each receiver has its own queue, so the order among them is not fixed.
    expect(dead.map((r) => [r.headers['dlq-code'], deadLetterReasons(r.headers)]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual(
      [
        ['webhook loopback', 'address 127.0.0.1 is a loopback address'],
        ['webhook named', 'localhost resolves to 127.0.0.1, which is a loopback address'],
        ['webhook decimal', 'address 127.0.0.1 is a loopback address'],
        ['webhook metadata', 'address 169.254.169.254 is a link-local address'],
        ['Open311 city-311', 'address ::ffff:7f00:1 is a loopback address'],
      ]
        .map(([receiverName, why]) => ['DELIVERY_TARGET_REFUSED', [{ code: 'DELIVERY_TARGET_REFUSED', message: `${receiverName!} after 1 attempts: target refused: ${why!}; ${rule}` }]])
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    )
    expect(n.counters.get('deadLettered')).toBe(5)
    expect(n.counters.get('delivered')).toBe(0)
    const entries = outbox(bus, strict.alerts.topics.deliveries)
    expect([...entries.values()].map((d) => [d.subscriber, d.status, d.attempts.length, d.attempts[0]?.error?.startsWith('target refused: ')])).toEqual([
      ['loopback', 'dead', 1, true],
      ['named', 'dead', 1, true],
      ['decimal', 'dead', 1, true],
      ['metadata', 'dead', 1, true],
      ['city-311', 'dead', 1, true],
    ])
    // A restarted notifier finds them dead and sends nothing either.
    const restarted = new AlertNotifier({ config: strict, bus: bus as unknown as Bus, rules: new RulesSource(targetRules, logger), logger })
    await restarted.handleBatch([record(strict.alerts.topics.events)], context)
    await restarted.settled()
    expect(received).toEqual([])
  })

  test('with loopback allowed, the same file reaches the receiver by every loopback name, and the metadata address stays refused', async () => {
    const allowed = loadConfig({ ALERT_RULES_FILE: targetRules, ALERT_DELIVERY_BACKOFF_MS: '1', ALERT_DELIVERY_MAX_ATTEMPTS: '3', ALERT_TARGETS_ALLOW: '127.0.0.1' })
    const bus = new MemoryBus()
    const n = new AlertNotifier({ config: allowed, bus: bus as unknown as Bus, rules: new RulesSource(targetRules, logger), logger })
    await n.handleBatch([record(allowed.alerts.topics.events)], context)
    await n.settled()
    expect([...received].sort()).toEqual(
      [`POST 127.0.0.1:${port} /hook`, `POST localhost:${port} /hook`, `POST 127.0.0.1:${port} /hook`, `POST [::ffff:7f00:1]:${port} /open311/v2/requests.json`].sort(),
    )
    expect(n.counters.get('delivered')).toBe(4)
    expect((bus.topics.get(allowed.bus.topics.deadLetter) ?? []).map((r) => [r.headers['dlq-code'], deadLetterReasons(r.headers)[0]?.message.split(': target refused: ')[0]])).toEqual([['DELIVERY_TARGET_REFUSED', 'webhook metadata after 1 attempts']])
    expect(outbox(bus, allowed.alerts.topics.deliveries).get(`city-311/${firing.alertId}/firing`)).toMatchObject({ status: 'delivered', open311: { serviceRequestId: '7001' } })
  })
})
