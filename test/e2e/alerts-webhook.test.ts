import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { signature } from '../../processors/alerts/webhook.js'
import { bearer, createTestKey } from '../support/api-auth.js'
import { spawnCircular, start, type Running } from '../support/circular-process.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { ensureAlertTopics, isolatedConfig, registerDevice, testLogger, waitFor, type TestDevice } from '../support/pipeline.js'

const minute = 60_000
const t0 = Date.parse('2026-11-03T08:00:00Z')
const secret = 'webhook-test-secret-0123'

/** What a receiver saw of one request. */
interface Received {
  readonly path: string
  readonly key: string
  readonly validSignature: boolean
  readonly body: { alertId: string; phase: string; rule: string }
}

/**
 * A webhook receiver on 127.0.0.1 as a city's system would run it: it checks the signature and
 * drops a repeated idempotency key. `answer` decides, per request, to accept, fail or hang.
 */
class Receiver {
  readonly received: Received[] = []
  readonly accepted = new Map<string, Received>()
  answer: (request: Received, attempt: number) => 'ok' | 'fail' | 'hang' = () => 'ok'
  private server: Server | undefined

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = Buffer.concat(chunks)
    const request: Received = {
      path: req.url ?? '',
      key: String(req.headers['idempotency-key']),
      validSignature: req.headers['x-circular-signature'] === signature(secret, body),
      body: JSON.parse(body.toString('utf8')) as Received['body'],
    }
    this.received.push(request)
    const answer = this.answer(request, this.received.filter((r) => r.key === request.key && r.path === request.path).length)
    if (answer === 'hang') return
    if (answer === 'fail' || !request.validSignature) {
      res.writeHead(answer === 'fail' ? 503 : 401).end()
      return
    }
    if (!this.accepted.has(`${request.path} ${request.key}`)) this.accepted.set(`${request.path} ${request.key}`, request)
    res.writeHead(204).end()
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise((resolve) => this.server?.close(resolve))
  }
}

function alertsEnv(rulesFile: string, extra: Record<string, string>): Record<string, string> {
  const id = randomBytes(4).toString('hex')
  return {
    ALERT_PROCESSOR_GROUP: `test.${id}.alerts`,
    ALERT_NOTIFIER_GROUP: `test.${id}.notifier`,
    TOPIC_ALERTS: `test.${id}.alerts`,
    TOPIC_ALERTS_STATE: `test.${id}.alerts-state`,
    TOPIC_ALERT_COMMANDS: `test.${id}.alert-commands`,
    TOPIC_ALERT_DELIVERIES: `test.${id}.alert-deliveries`,
    KAFKA_TOPIC_PARTITIONS: '1',
    ALERT_RULES_FILE: rulesFile,
    ALERT_DELIVERY_BACKOFF_MS: '100',
    ALERT_DELIVERY_BACKOFF_MAX_MS: '1000',
    ...extra,
  }
}

async function fillSender(pipeline: InProcessPipeline, bin: TestDevice): Promise<{ send: (minutes: number, fill: number) => Promise<void>; end: () => Promise<void> }> {
  const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
  return {
    send: async (minutes, fill) => {
      await client.publishAsync(`devices/${bin.device.id}/senml`, JSON.stringify([{ bn: `urn:dev:${bin.device.id}:`, bt: (t0 + minutes * minute) / 1000, n: 'fillingLevel', u: '/', v: fill }]), { qos: 1 })
    },
    end: () => client.endAsync(),
  }
}

describe('alerts: webhook delivery through failures', () => {
  const rulesFile = join(tmpdir(), `circular-webhook-rules-${randomBytes(4).toString('hex')}.json`)
  const { config, cleanup } = isolatedConfig(alertsEnv(rulesFile, { ALERT_DELIVERY_TIMEOUT_MS: '1000' }))
  const receiver = new Receiver()
  let pipeline: InProcessPipeline
  let bin: TestDevice

  beforeAll(async () => {
    const url = await receiver.start()
    writeFileSync(
      rulesFile,
      JSON.stringify({
        version: 1,
        tenants: { hookcity: { webhooks: [{ id: 'ops', url: `${url}/ops`, secret }, { id: 'fire-only', url: `${url}/fire`, secret, rules: ['fire'] }] } },
      }),
    )
    bin = await registerDevice(config, { id: 'bin-hook', kind: 'waste_container', format: 'senml', tenant: 'hookcity', site: 'west' })
    pipeline = await startInProcess(config, ['broker', 'sink', 'api', 'normaliser', 'alerts', 'notifier'])
  })
  afterAll(async () => {
    await pipeline?.stop()
    await receiver.stop()
    rmSync(rulesFile, { force: true })
    cleanup()
  })

  test('a receiver that answers 503, then not at all, gets each transition exactly once, signed, with its idempotency key', async () => {
    // The firing is refused once with 503, then left unanswered past the timeout, then accepted.
    receiver.answer = (request, attempt) => (request.body.phase === 'firing' ? (['fail', 'hang', 'ok'] as const)[attempt - 1] ?? 'ok' : 'ok')
    const { send, end } = await fillSender(pipeline, bin)
    await send(0, 0.9)
    await send(5, 0.2)
    await end()

    await waitFor(() => receiver.accepted.size === 2, 45_000, 'both transitions accepted')
    const accepted = [...receiver.accepted.values()]
    expect(accepted.map((r) => [r.path, r.body.rule, r.body.phase])).toEqual([
      ['/ops', 'fill', 'firing'],
      ['/ops', 'fill', 'resolved'],
    ])
    expect(accepted.map((r) => r.key)).toEqual([`${accepted[0]!.body.alertId}:firing`, `${accepted[0]!.body.alertId}:resolved`])
    expect(receiver.received.every((r) => r.validSignature)).toBe(true)
    // Three attempts at the firing, one at the resolution; nothing for the fire-only subscriber.
    expect(receiver.received.map((r) => [r.path, r.body.phase])).toEqual([
      ['/ops', 'firing'],
      ['/ops', 'firing'],
      ['/ops', 'firing'],
      ['/ops', 'resolved'],
    ])

    // The attempts as the outbox recorded them, in GET /v1/alerts/{id}.
    const headers = bearer(createTestKey(config, { tenant: 'hookcity', role: 'analyst' }))
    type Deliveries = { deliveries: { channel: string; subscriber: string; phase: string; status: string; attempts: number; lastAttemptAt?: string; lastHttpStatus?: number; deliveredAt?: string }[] }
    const alert = await waitFor(
      async () => {
        const body = (await (await fetch(`${pipeline.apiUrl}/v1/alerts/${accepted[0]!.body.alertId}`, { headers })).json()) as Deliveries
        return body.deliveries?.length === 2 && body.deliveries.every((d) => d.status === 'delivered') ? body : undefined
      },
      30_000,
      'both deliveries stored',
    )
    expect(alert.deliveries.map(({ deliveredAt, lastAttemptAt, ...d }) => ({ ...d, deliveredAtLastAttempt: deliveredAt !== undefined && deliveredAt === lastAttemptAt }))).toEqual([
      { channel: 'webhook', subscriber: 'ops', phase: 'firing', status: 'delivered', attempts: 3, lastHttpStatus: 204, deliveredAtLastAttempt: true },
      { channel: 'webhook', subscriber: 'ops', phase: 'resolved', status: 'delivered', attempts: 1, lastHttpStatus: 204, deliveredAtLastAttempt: true },
    ])
  }, 120_000)
})

describe('alerts: a notifier killed between sending and recording', () => {
  const rulesFile = join(tmpdir(), `circular-webhook-rules-${randomBytes(4).toString('hex')}.json`)
  // The processes are started as the readings are sent: they must work through them, not start after them.
  const { config, env, cleanup } = isolatedConfig(alertsEnv(rulesFile, { ALERT_DELIVERY_TIMEOUT_MS: '30000', ALERT_GROUPS_START_AT: 'earliest' }))
  const receiver = new Receiver()
  let pipeline: InProcessPipeline
  let notifier: Running | undefined
  let bin: TestDevice

  beforeAll(async () => {
    const url = await receiver.start()
    writeFileSync(rulesFile, JSON.stringify({ version: 1, tenants: { killcity: { webhooks: [{ id: 'ops', url: `${url}/ops`, secret }] } } }))
    await ensureAlertTopics(config)
    bin = await registerDevice(config, { id: 'bin-kill', kind: 'waste_container', format: 'senml', tenant: 'killcity', site: 'south' })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'alerts'])
  })
  afterAll(async () => {
    await notifier?.kill('SIGTERM')
    await pipeline?.stop()
    await receiver.stop()
    rmSync(rulesFile, { force: true })
    cleanup()
  })

  test('after SIGKILL and a restart the held request is sent again, the receiver keeps one, and nothing is lost', async () => {
    let held = false
    // The first firing request is held open: the notifier has sent it and recorded nothing yet.
    receiver.answer = (request, attempt) => (request.body.phase === 'firing' && attempt === 1 ? ((held = true), 'hang') : 'ok')
    notifier = spawnCircular(['process', 'alert-notifier'], env)
    const { send, end } = await fillSender(pipeline, bin)
    await send(0, 0.95)
    await waitFor(() => held, 45_000, 'the first delivery in flight')
    await notifier.kill('SIGKILL')

    notifier = spawnCircular(['process', 'alert-notifier'], env)
    await send(5, 0.1)
    await end()
    await waitFor(() => receiver.accepted.size === 2, 45_000, 'both transitions accepted')
    const firing = receiver.received.filter((r) => r.body.phase === 'firing')
    expect(firing).toHaveLength(2)
    expect(new Set(firing.map((r) => r.key)).size).toBe(1)
    expect([...receiver.accepted.values()].map((r) => r.body.phase)).toEqual(['firing', 'resolved'])
    expect(receiver.received.filter((r) => r.body.phase === 'resolved')).toHaveLength(1)
    expect(receiver.received.every((r) => r.validSignature)).toBe(true)
  }, 120_000)
})

describe('alerts: a notifier frozen between sending and recording while its partition moves on', () => {
  const rulesFile = join(tmpdir(), `circular-webhook-rules-${randomBytes(4).toString('hex')}.json`)
  // The broker's smallest session timeout: the frozen member is dropped soon.
  const { config, env, cleanup } = isolatedConfig(alertsEnv(rulesFile, { ALERT_GROUPS_START_AT: 'earliest', KAFKA_SESSION_TIMEOUT_MS: '6000', CIRCULAR_LOG_LEVEL: 'info' }))
  const receiver = new Receiver()
  let pipeline: InProcessPipeline
  let zombie: Running | undefined
  let successor: Running | undefined
  let bin: TestDevice

  beforeAll(async () => {
    const url = await receiver.start()
    writeFileSync(rulesFile, JSON.stringify({ version: 1, tenants: { pausecity: { webhooks: [{ id: 'ops', url: `${url}/ops`, secret }] } } }))
    await ensureAlertTopics(config)
    bin = await registerDevice(config, { id: 'bin-pause', kind: 'waste_container', format: 'senml', tenant: 'pausecity', site: 'east' })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'alerts'])
  })
  afterAll(async () => {
    if (zombie?.process.pid && zombie.process.exitCode === null) zombie.process.kill('SIGCONT')
    await Promise.all([zombie?.kill('SIGKILL'), successor?.kill('SIGTERM')])
    await pipeline?.stop()
    await receiver.stop()
    rmSync(rulesFile, { force: true })
    cleanup()
  })

  test('the successor delivers with the same idempotency key, and the thawed instance records nothing over it: one delivered entry', async () => {
    zombie = start(['--import', 'tsx', 'test/support/notifier-zombie.ts'], { ...process.env, ...env } as Record<string, string>, { echo: true })
    const { send, end } = await fillSender(pipeline, bin)
    await send(0, 0.95)
    await end()
    await zombie.waitForOutput(/^FROZEN$/m, 60_000)
    expect(receiver.accepted.size).toBe(1)
    const [firing] = [...receiver.accepted.values()]

    // The group drops the frozen member once its session runs out; the successor finds the entry unrecorded and sends it again.
    successor = spawnCircular(['process', 'alert-notifier'], env)
    const entry = `ops/${firing!.body.alertId}/firing`
    const statuses = async (): Promise<string[]> => {
      const bus = new KafkaBus(config.kafka, testLogger)
      try {
        return (await bus.readAll(config.alerts.topics.deliveries)).filter((r) => r.key === entry && !r.tombstone).map((r) => (JSON.parse(r.value.toString()) as { status: string }).status)
      } finally {
        await bus.close()
      }
    }
    await waitFor(async () => (await statuses()).includes('delivered'), 60_000, 'the successor recording the delivery')
    expect(receiver.received.filter((r) => r.key === firing!.key)).toHaveLength(2)
    expect(receiver.accepted.size).toBe(1)

    // Thawed: the webhook it sent was accepted, and it goes on to record that, through the writer the successor fenced.
    zombie.process.kill('SIGCONT')
    await zombie.waitForOutput(/another notifier took this event partition/, 20_000).catch(() => undefined)
    expect(await statuses()).toEqual(['pending', 'delivered'])
    expect(receiver.received.filter((r) => r.key === firing!.key)).toHaveLength(2)
    expect(zombie.stdout()).toMatch(/another notifier took this event partition/)
  }, 180_000)
})
