import { randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import type { Config } from '../../core/config.js'
import { alertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import { spawnCircular, type Running } from '../support/circular-process.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { collectTopic, ensureAlertTopics, isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'

const minute = 60_000
const t0 = Date.parse('2026-11-04T08:00:00Z')
const apiKey = 'georeport-key-123'

interface ServiceRequest {
  readonly id: string
  readonly form: Record<string, string>
  status: 'open' | 'closed'
}

/**
 * A GeoReport v2 server as the spec describes it (data-models §5): POST requests.json takes a
 * form-encoded body with api_key, a known service_code and one location, and answers with the
 * new service_request_id; GET requests.json lists requests by id or service code.
 * `holdNextPost` files the next request but never answers, like a server whose answer is lost.
 */
class GeoReportServer {
  readonly requests: ServiceRequest[] = []
  readonly refusals: string[] = []
  holdNextPost = false
  private server: Server | undefined

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/open311/v2`
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '', 'http://localhost')
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (req.method === 'POST' && url.pathname === '/open311/v2/requests.json') return this.create(req, Buffer.concat(chunks).toString('utf8'), res)
    if (req.method === 'GET' && url.pathname === '/open311/v2/requests.json') {
      const ids = url.searchParams.get('service_request_id')?.split(',')
      const code = url.searchParams.get('service_code')
      const matching = this.requests.filter((r) => (ids ? ids.includes(r.id) : code === null || r.form.service_code === code))
      return json(res, 200, matching.map((r) => ({ service_request_id: r.id, status: r.status, service_code: r.form.service_code, description: r.form.description, lat: Number(r.form.lat), long: Number(r.form.long) })))
    }
    json(res, 404, [{ code: 404, description: 'no such method' }])
  }

  private create(req: IncomingMessage, body: string, res: ServerResponse): void {
    const refuse = (status: number, description: string): void => {
      this.refusals.push(description)
      json(res, status, [{ code: status, description }])
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return refuse(400, 'body must be form-encoded')
    const form = Object.fromEntries(new URLSearchParams(body))
    if (form.api_key !== apiKey) return refuse(403, 'invalid api_key')
    if (form.service_code !== 'FULL') return refuse(404, 'unknown service_code')
    const lat = Number(form.lat)
    const long = Number(form.long)
    if (form.lat === undefined || form.long === undefined || !(Math.abs(lat) <= 90) || !(Math.abs(long) <= 180)) return refuse(400, 'lat and long are required, WGS84')
    if ((form.description ?? '').length > 4000) return refuse(400, 'description longer than 4000 characters')
    const request: ServiceRequest = { id: String(1001 + this.requests.length), form, status: 'open' }
    this.requests.push(request)
    if (this.holdNextPost) {
      this.holdNextPost = false
      return
    }
    json(res, 200, [{ service_request_id: request.id, service_notice: 'will be collected', account_id: null }])
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise((resolve) => this.server?.close(resolve))
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

describe('alerts: Open311 service requests', () => {
  const id = randomBytes(4).toString('hex')
  const rulesFile = join(tmpdir(), `circular-open311-rules-${id}.json`)
  // The processes are started as the readings are sent: they must work through them, not start after them.
  const { config, env, cleanup } = isolatedConfig({
    ALERT_GROUPS_START_AT: 'earliest',
    ALERT_PROCESSOR_GROUP: `test.${id}.alerts`,
    ALERT_NOTIFIER_GROUP: `test.${id}.notifier`,
    TOPIC_ALERTS: `test.${id}.alerts`,
    TOPIC_ALERTS_STATE: `test.${id}.alerts-state`,
    TOPIC_ALERT_COMMANDS: `test.${id}.alert-commands`,
    TOPIC_ALERT_DELIVERIES: `test.${id}.alert-deliveries`,
    KAFKA_TOPIC_PARTITIONS: '1',
    ALERT_RULES_FILE: rulesFile,
    ALERT_DELIVERY_TIMEOUT_MS: '30000',
    ALERT_OPEN311_POLL_MS: '500',
  })
  const server = new GeoReportServer()
  let pipeline: InProcessPipeline
  let notifier: Running | undefined
  let bin: TestDevice

  beforeAll(async () => {
    const endpoint = await server.start()
    writeFileSync(rulesFile, JSON.stringify({ version: 1, tenants: { cityof311: { open311: { id: 'city-311', endpoint, apiKey, serviceCodes: { fill: 'FULL' } } } } }))
    await ensureAlertTopics(config)
    bin = await registerDevice(config, { id: 'bin-311', kind: 'waste_container', format: 'senml', tenant: 'cityof311', site: 'market' })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'alerts'])
  })
  afterAll(async () => {
    await notifier?.kill('SIGTERM')
    await pipeline?.stop()
    await server.stop()
    rmSync(rulesFile, { force: true })
    cleanup()
  })

  test('one request per alert although the notifier is killed before it records the answer; closing it there resolves the alert here', async () => {
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
    const send = (minutes: number, v: number): Promise<unknown> =>
      client.publishAsync('devices/bin-311/senml', JSON.stringify([{ bn: 'urn:dev:bin-311:', bt: (t0 + minutes * minute) / 1000, n: 'fillingLevel', u: '/', v }]), { qos: 1 })

    // The server files the request but its answer never arrives: the notifier dies waiting for it.
    server.holdNextPost = true
    notifier = spawnCircular(['process', 'alert-notifier'], env)
    await send(0, 0.93)
    await waitFor(() => server.requests.length === 1, 45_000, 'the service request filed')
    await notifier.kill('SIGKILL')
    notifier = spawnCircular(['process', 'alert-notifier'], env)

    // The restarted notifier finds the request by its alert instead of filing another, and follows
    // it: the service closing it resolves the alert.
    server.requests[0]!.status = 'closed'
    const events = await collectEvents(config, (es) => es.some((e) => e.phase === 'resolved'))
    await client.endAsync()

    expect(server.refusals).toEqual([])
    expect(server.requests).toHaveLength(1)
    const filed = server.requests[0]!
    const firing = events.find((e) => e.phase === 'firing')!
    expect(filed.form).toMatchObject({ api_key: apiKey, service_code: 'FULL', lat: '51.21301', long: '4.42173', device_id: 'bin-311' })
    expect(filed.form.description).toContain(firing.alertId)
    expect(events.map((e) => [e.alertId, e.phase])).toEqual([
      [firing.alertId, 'firing'],
      [firing.alertId, 'resolved'],
    ])
    expect(events[1]!.reason).toBe('closed by Open311 service request 1001 (city-311)')
  }, 120_000)
})

async function collectEvents(config: Config, done: (events: AlertEvent[]) => boolean): Promise<AlertEvent[]> {
  const decode = (records: { value: Buffer }[]): AlertEvent[] => records.map((r) => alertEvent.parse(JSON.parse(r.value.toString('utf8'))))
  return decode(await collectTopic(config, config.alerts.topics.events, (records) => done(decode(records)), 45_000))
}
