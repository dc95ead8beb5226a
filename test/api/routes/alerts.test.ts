import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { alertPoint, type AlertEvent } from '../../../core/alerts/alert-event.js'
import { alertIdOf } from '../../../core/alerts/alert-id.js'
import { deliveryPoint } from '../../../core/alerts/delivery-history.js'
import type { RuleName } from '../../../core/alerts/rule-settings.js'
import type { Point } from '../../../core/store/store.js'
import { bearer, createTestKey } from '../../support/api-auth.js'
import { embeddedApi, type EmbeddedApi } from '../embedded-api.js'

interface AlertBody {
  alertId: string
  rule: string
  tenant: string
  site: string
  deviceId: string
  kind: string
  state: string
  firedAt: string
  value?: number | string
  reason?: string
  history: { phase: string; at: string; reason?: string }[]
  deliveries?: Record<string, unknown>[]
}

const minute = 60_000
const hour = 60 * minute
const day = 24 * hour
const iso = (ms: number): string => new Date(ms).toISOString()

/**
 * The alert routes over the store as the alerts processor and the notifier fill it (one point
 * per transition, one per delivery), with acknowledgements handed to the embedded bus.
 */
describe('/v1/alerts', () => {
  let api: EmbeddedApi
  let now: number
  let headers: { analyst: { authorization: string }; operator: { authorization: string }; platform: { authorization: string } }

  interface Fired {
    readonly id: string
    readonly firedAt: number
    readonly event: Omit<AlertEvent, 'phase' | 'at' | 'reason'>
  }

  function fired(rule: RuleName, tenant: string, site: string, deviceId: string, firedAt: number, value: number): Fired {
    const id = alertIdOf(rule, deviceId, firedAt)
    return { id, firedAt, event: { schema: 'circular.alert/v1', alertId: id, rule, tenant, site, deviceId, kind: 'waste_container', firedAt, value } }
  }

  const transition = (alert: Fired, phase: AlertEvent['phase'], at: number, reason: string): Point => alertPoint({ ...alert.event, phase, at, reason })

  let full: Fired
  let hot: Fired
  let old: Fired
  let opened: Fired
  let foreign: Fired

  beforeAll(async () => {
    api = await embeddedApi({ commands: true })
    now = Date.now()
    full = fired('fill', 'alpha', 'north', 'bin-1', now - 2 * hour, 0.95)
    hot = fired('fire', 'alpha', 'south', 'bin-2', now - 3 * hour, 71)
    old = fired('low_battery', 'alpha', 'north', 'bin-1', now - 40 * day, 0.05)
    opened = fired('tamper', 'alpha', 'north', 'bin-3', now - 10 * minute, 1)
    foreign = fired('fill', 'beta', 'north', 'bin-9', now - hour, 0.99)
    await api.store.write([
      transition(full, 'firing', full.firedAt, 'fill 95 % above 90 %'),
      transition(full, 'acknowledged', now - hour, 'acknowledged by crew-7'),
      transition(hot, 'firing', hot.firedAt, 'temperature 71 °C above 60 °C'),
      transition(hot, 'resolved', now - 30 * minute, 'temperature back below 60 °C'),
      transition(old, 'firing', old.firedAt, 'battery 5 % below 10 %'),
      transition(opened, 'firing', opened.firedAt, 'tilt detected'),
      transition(foreign, 'firing', foreign.firedAt, 'fill 99 % above 90 %'),
      deliveryPoint({ channel: 'webhook', subscriber: 'ops-hook', alertId: full.id, phase: 'firing', status: 'delivered', attempts: [{ at: full.firedAt + 1000, status: 200 }], deliveredAt: full.firedAt + 1000, about: { tenant: 'alpha', site: 'north', deviceId: 'bin-1', rule: 'fill', firedAt: full.firedAt } })!,
      deliveryPoint({ channel: 'open311', subscriber: 'city-311', alertId: full.id, phase: 'firing', status: 'sending', attempts: [{ at: full.firedAt + 2000, error: 'timeout' }], open311: { token: 'tok-1' }, about: { tenant: 'alpha', site: 'north', deviceId: 'bin-1', rule: 'fill', firedAt: full.firedAt } })!,
    ])
    const key = (role: 'analyst' | 'operator' | 'admin', tenant?: string) => bearer(createTestKey(api.config, { role, ...(tenant !== undefined ? { tenant } : {}) }))
    headers = { analyst: key('analyst', 'alpha'), operator: key('operator', 'alpha'), platform: key('admin') }
  })
  afterAll(() => api.close())

  const get = (url: string, as: { authorization: string } = headers.analyst) => api.app.inject({ method: 'GET', url, headers: as })
  const ids = async (query = ''): Promise<string[]> => (await get(`/v1/alerts${query}`)).json<{ alerts: AlertBody[] }>().alerts.map((a) => a.alertId)

  test('the tenant\'s alerts of the last 30 days, newest first, each with its state and history', async () => {
    const response = await get('/v1/alerts')
    expect(response.statusCode).toBe(200)
    const body = response.json<{ tenant: string; from: string; to: string; alerts: AlertBody[] }>()
    expect(body.tenant).toBe('alpha')
    expect(Date.parse(body.to) - Date.parse(body.from)).toBe(30 * day)
    expect(Date.parse(body.to)).toBeGreaterThanOrEqual(now)
    expect(body.alerts.map((a) => a.alertId)).toEqual([opened.id, full.id, hot.id])
    expect(body.alerts[1]).toEqual({
      alertId: full.id,
      rule: 'fill',
      tenant: 'alpha',
      site: 'north',
      deviceId: 'bin-1',
      kind: 'waste_container',
      state: 'acknowledged',
      firedAt: iso(full.firedAt),
      value: 0.95,
      reason: 'fill 95 % above 90 %',
      history: [
        { phase: 'firing', at: iso(full.firedAt), reason: 'fill 95 % above 90 %' },
        { phase: 'acknowledged', at: iso(now - hour), reason: 'acknowledged by crew-7' },
      ],
    })
  })

  test('filters by state, site, rule and firing time; a transition after `to` still tells the state', async () => {
    expect(await ids('?state=resolved')).toEqual([hot.id])
    expect(await ids('?state=firing')).toEqual([opened.id])
    expect(await ids('?site=north')).toEqual([opened.id, full.id])
    expect(await ids('?rule=fire')).toEqual([hot.id])
    expect(await ids(`?from=${iso(now - 41 * day)}&to=${iso(now - 39 * day)}`)).toEqual([old.id])
    const beforeResolution = (await get(`/v1/alerts?rule=fire&to=${iso(hot.firedAt + minute)}`)).json<{ alerts: AlertBody[] }>().alerts
    expect(beforeResolution.map((a) => a.state)).toEqual(['resolved'])
  })

  test('the range and filters are checked, and the tenant comes from the key', async () => {
    for (const [query, parameter] of [
      [`?from=${iso(now)}&to=${iso(now - 1)}`, 'to'],
      [`?from=${iso(now - 367 * day)}&to=${iso(now)}`, 'from'],
      ['?rule=overfull', 'rule'],
      ['?state=open', 'state'],
      ['?from=yesterday', 'from'],
    ] as const) {
      const response = await get(`/v1/alerts${query}`)
      expect(response.statusCode, query).toBe(400)
      expect(response.json(), query).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter } })
    }
    expect((await get('/v1/alerts?tenant=beta')).statusCode).toBe(403)
    expect((await get('/v1/alerts?tenant=beta', headers.platform)).json<{ alerts: AlertBody[] }>().alerts.map((a) => a.alertId)).toEqual([foreign.id])
  })

  test('one alert with its deliveries; another tenant\'s alert is unknown to the caller', async () => {
    const response = await get(`/v1/alerts/${full.id}`)
    expect(response.statusCode).toBe(200)
    const body = response.json<AlertBody>()
    expect(body.state).toBe('acknowledged')
    expect(body.deliveries).toEqual([
      { channel: 'open311', subscriber: 'city-311', phase: 'firing', status: 'sending', attempts: 1, lastAttemptAt: iso(full.firedAt + 2000), lastError: 'timeout', token: 'tok-1' },
      { channel: 'webhook', subscriber: 'ops-hook', phase: 'firing', status: 'delivered', attempts: 1, lastAttemptAt: iso(full.firedAt + 1000), lastHttpStatus: 200, deliveredAt: iso(full.firedAt + 1000) },
    ])
    expect((await get(`/v1/alerts/${hot.id}`)).json<AlertBody>().deliveries).toEqual([])

    const foreignToAlpha = await get(`/v1/alerts/${foreign.id}`)
    expect(foreignToAlpha.statusCode).toBe(404)
    expect(foreignToAlpha.json()).toEqual({ error: { code: 'ALERT_UNKNOWN', message: `no alert ${foreign.id}` } })
    expect((await get(`/v1/alerts/${foreign.id}`, headers.platform)).json<AlertBody>().tenant).toBe('beta')
    expect((await get(`/v1/alerts/${alertIdOf('fill', 'bin-1', now - 5 * hour)}`)).statusCode).toBe(404)
    expect((await get('/v1/alerts/not-an-alert')).json()).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter: 'id' } })
  })

  test('an acknowledgement goes to the alerts processor as a command keyed by the device', async () => {
    const before = Date.now()
    const response = await api.app.inject({ method: 'POST', url: `/v1/alerts/${opened.id}/ack`, headers: headers.operator, payload: { by: 'crew-7' } })
    expect(response.statusCode).toBe(202)
    expect(response.json()).toEqual({ alertId: opened.id, accepted: true })
    const records = await api.bus!.readAll(api.config.alerts.topics.commands)
    expect(records).toHaveLength(1)
    expect(records[0]!.key?.toString()).toBe('bin-3')
    const command = JSON.parse(records[0]!.value.toString('utf8')) as Record<string, unknown>
    expect(command).toEqual({ schema: 'circular.alert-command/v1', command: 'ack', alertId: opened.id, rule: 'tamper', deviceId: 'bin-3', by: 'crew-7', at: command.at })
    expect(command.at).toBeGreaterThanOrEqual(before)
    expect(command.at).toBeLessThanOrEqual(Date.now())
  })

  test('only an open alert of the caller\'s tenant can be acknowledged, and by someone named', async () => {
    const ack = (id: string, payload: Record<string, unknown> = { by: 'crew-7' }) => api.app.inject({ method: 'POST', url: `/v1/alerts/${id}/ack`, headers: headers.operator, payload })
    const resolved = await ack(hot.id)
    expect(resolved.statusCode).toBe(409)
    expect(resolved.json()).toEqual({ error: { code: 'ALERT_NOT_OPEN', message: `alert ${hot.id} is resolved; only an open alert can be acknowledged` } })
    expect((await ack(foreign.id)).statusCode).toBe(404)
    expect((await ack(full.id, {})).json()).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter: 'by' } })
    // None of these reached the bus; the acknowledgement of the test before is the only command.
    expect(await api.bus!.readAll(api.config.alerts.topics.commands)).toHaveLength(1)
  })
})

describe('/v1/alerts without a bus for commands', () => {
  let api: EmbeddedApi
  beforeAll(async () => {
    api = await embeddedApi()
  })
  afterAll(() => api.close())

  test('has no acknowledgement route, and still serves the alerts', async () => {
    const operator = bearer(createTestKey(api.config, { role: 'operator', tenant: 'alpha' }))
    const id = alertIdOf('fill', 'bin-1', Date.now() - hour)
    const response = await api.app.inject({ method: 'POST', url: `/v1/alerts/${id}/ack`, headers: operator, payload: { by: 'crew-7' } })
    expect(response.statusCode).toBe(404)
    expect(response.json()).toMatchObject({ error: { code: 'ROUTE_UNKNOWN' } })
    expect((await api.app.inject({ method: 'GET', url: '/v1/alerts', headers: operator })).json()).toMatchObject({ tenant: 'alpha', alerts: [] })
  })
})
