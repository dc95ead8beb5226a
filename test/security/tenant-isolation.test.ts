import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { Point } from '../../core/store/store.js'
import { alertIdOf } from '../../core/alerts/alert-id.js'
import { addDevice, apiFixture, seriesTags, type ApiFixture } from '../api/api-fixture.js'

/**
 * An analyst (and an operator) of tenant alpha attacks every endpoint with tenant beta's ids,
 * site names and device ids and with crafted values. Beta's data carries markers (the number
 * 777.125 and the text BETA-MARKER) that must never appear in an answer to alpha, and no answer
 * may be a server error or show anything of the query or the server.
 */

const t0 = Date.UTC(2026, 2, 10, 12)
const iso = (ms: number): string => new Date(ms).toISOString()
const range = `from=${iso(t0 - 86_400_000)}&to=${iso(t0 + 86_400_000)}`
const betaNumber = 777.125
const betaText = 'BETA-MARKER'
const betaAlert = alertIdOf('fire', 'b-bin-1', t0)

const hostile = [
  'beta',
  'b-bin-1',
  'south',
  "b-bin-1' OR '1'='1",
  'x" OR "tenant"=\'beta',
  "beta\\'",
  '\\',
  '"',
  "'",
  '.*',
  '/.*/',
  '=~ /.*/',
  'beta|alpha',
  '(beta)',
  '[a-z]+',
  'SELECT * FROM waste_container',
  '; DROP DATABASE circular',
  "' ; DELETE FROM \"alerts\" ; '",
  'tenant::tag',
  'beta\nWHERE',
  '%00',
  '${tenant}',
  '../beta',
]
const enc = encodeURIComponent

describe('tenant isolation: an analyst of alpha reaches nothing of beta', () => {
  let f: ApiFixture
  let alphaAnalyst: { authorization: string }
  let alphaOperator: { authorization: string }
  let alphaAdmin: { authorization: string }

  beforeAll(async () => {
    f = await apiFixture({ commands: true })
    const alpha = await addDevice(f.registry, { id: 'a-bin-1', tenant: 'alpha', site: 'north' })
    const beta1 = await addDevice(f.registry, { id: 'b-bin-1', tenant: 'beta', site: 'south' })
    // Same site name as alpha's: a site filter alone must not reach across.
    const beta2 = await addDevice(f.registry, { id: 'b-bin-2', tenant: 'beta', site: 'north' })
    const rollupTags = (d: typeof alpha, extra: Record<string, string>): Record<string, string> => ({ tenant: d.tenant, site: d.site, device: d.id, ...extra })
    await f.store.write([
      { measurement: 'waste_container', tags: seriesTags(alpha), fields: { filling_level: 0.25, status: 'ok' }, time: t0 },
      ...[beta1, beta2].flatMap((b): Point[] => [
        { measurement: 'waste_container', tags: seriesTags(b), fields: { filling_level: 0.5, cargo_weight_kg: betaNumber, status: betaText }, time: t0 },
        // The same device id under alpha's tenant tag is alpha's; beta's own series must stay beta's.
        { measurement: 'material_flow_rollup', tags: rollupTags(b, { interval: 'day', fraction: 'paper', direction: 'in' }), fields: { mass_kg: betaNumber }, time: Date.UTC(2026, 2, 10) },
        { measurement: 'container_forecast', tags: rollupTags(b, {}), fields: { fill_level: betaNumber, time_to_full_h: betaNumber }, time: t0 },
      ]),
      { measurement: 'material_flow_rollup', tags: rollupTags(alpha, { interval: 'day', fraction: 'paper', direction: 'in' }), fields: { mass_kg: 5 }, time: Date.UTC(2026, 2, 10) },
      { measurement: 'alerts', tags: { ...seriesTags(beta1), rule: 'fire', phase: 'firing' }, fields: { alert_id: betaAlert, fired_at: t0, value: betaNumber, reason: betaText }, time: t0 },
    ])
    alphaAnalyst = f.as('analyst', 'alpha')
    alphaOperator = f.as('operator', 'alpha')
    alphaAdmin = f.as('admin', 'alpha')
  })
  afterAll(() => f.close())

  /** Every request alpha's callers try: each endpoint with each hostile value in each place it can go. */
  function attacks(): { method: 'GET' | 'POST' | 'DELETE'; url: string; body?: Record<string, unknown> }[] {
    const list: { method: 'GET' | 'POST' | 'DELETE'; url: string; body?: Record<string, unknown> }[] = []
    for (const v of hostile) {
      const x = enc(v)
      list.push(
        { method: 'GET', url: `/v1/devices?tenant=${x}` },
        { method: 'GET', url: `/v1/devices?site=${x}` },
        { method: 'GET', url: `/v1/devices/${x}/latest` },
        { method: 'GET', url: `/v1/devices/${x}/readings?${range}` },
        { method: 'GET', url: `/v1/devices/a-bin-1/readings?${range}&field=${x}` },
        { method: 'GET', url: `/v1/footprint?metric=waste_received_kg&tenant=${x}&${range}` },
        { method: 'GET', url: `/v1/footprint?metric=waste_received_kg&site=${x}&${range}` },
        { method: 'GET', url: `/v1/footprint?metric=${x}&${range}` },
        { method: 'GET', url: `/v1/sites/${x}/kpis?${range}` },
        { method: 'GET', url: `/v1/sites/north/kpis?tenant=${x}&${range}` },
        { method: 'GET', url: `/v1/containers/forecast?tenant=${x}` },
        { method: 'GET', url: `/v1/containers/forecast?site=${x}` },
        { method: 'GET', url: `/v1/alerts?tenant=${x}&${range}` },
        { method: 'GET', url: `/v1/alerts?site=${x}&${range}` },
        { method: 'GET', url: `/v1/alerts/${x}` },
        { method: 'GET', url: `/v1/admin/keys?tenant=${x}` },
        { method: 'GET', url: `/v1/admin/audit?tenant=${x}` },
        { method: 'DELETE', url: `/v1/admin/keys/${x}` },
        { method: 'POST', url: '/v1/admin/keys', body: { name: 'mine', role: 'admin', tenant: v } },
        { method: 'GET', url: `/v1/open/${x}/footprint?metric=waste_received_kg` },
      )
    }
    list.push(
      { method: 'GET', url: '/v1/devices/b-bin-1/latest' },
      { method: 'GET', url: `/v1/devices/b-bin-2/readings?${range}` },
      { method: 'GET', url: `/v1/sites/south/kpis?${range}` },
      { method: 'GET', url: '/v1/containers/forecast?site=north&withinDays=366' },
      { method: 'GET', url: `/v1/alerts/${betaAlert}` },
      { method: 'POST', url: `/v1/alerts/${betaAlert}/ack`, body: { by: 'intruder' } },
      { method: 'POST', url: '/v1/admin/keys', body: { name: 'escalate', role: 'admin', platform: true } },
      { method: 'GET', url: '/metrics' },
    )
    return list
  }

  test('beta\'s markers exist and a platform admin naming beta sees them (so their absence below means something)', async () => {
    const response = await f.app.inject({ method: 'GET', url: `/v1/devices/b-bin-1/latest`, headers: f.admin })
    expect(response.body).toContain(String(betaNumber))
    expect(response.body).toContain(betaText)
    const alert = await f.app.inject({ method: 'GET', url: `/v1/alerts/${betaAlert}`, headers: f.admin })
    expect(alert.statusCode).toBe(200)
    const flows = await f.app.inject({ method: 'GET', url: `/v1/footprint?metric=waste_received_kg&tenant=beta&${range}`, headers: f.admin })
    expect(flows.json()).toMatchObject({ rows: [{ value: betaNumber * 2 }] })
  })

  test('alpha\'s analyst still reads alpha\'s own data, with the tenant taken from the key', async () => {
    const own = await f.app.inject({ method: 'GET', url: `/v1/footprint?metric=waste_received_kg&${range}`, headers: alphaAnalyst })
    expect(own.statusCode).toBe(200)
    expect(own.json()).toMatchObject({ tenant: 'alpha', rows: [{ value: 5 }] })
    const devices = await f.app.inject({ method: 'GET', url: '/v1/devices', headers: alphaAnalyst })
    expect(devices.json<{ devices: { id: string }[] }>().devices.map((d) => d.id)).toEqual(['a-bin-1'])
    const north = await f.app.inject({ method: 'GET', url: `/v1/sites/north/kpis?${range}`, headers: alphaAnalyst })
    expect(north.statusCode).toBe(200)
    expect(north.body).not.toContain(String(betaNumber))
  })

  for (const [who, headers] of [
    ['analyst', () => alphaAnalyst],
    ['operator', () => alphaOperator],
    ['admin', () => alphaAdmin],
  ] as const) {
    test(`every endpoint with beta's ids and crafted filters gives alpha's ${who} nothing of beta and no internals`, async () => {
      const statuses = new Set<number>()
      for (const attack of attacks()) {
        const response = await f.app.inject({ method: attack.method, url: attack.url, headers: headers(), ...(attack.body !== undefined ? { payload: attack.body } : {}) })
        const where = `${who} ${attack.method} ${attack.url}`
        statuses.add(response.statusCode)
        expect([200, 201, 400, 403, 404], where).toContain(response.statusCode)
        expect(response.body, where).not.toContain(String(betaNumber))
        expect(response.body, where).not.toContain(betaText)
        expect(response.body, where).not.toMatch(/"(deviceId|id|device)":"b-bin|"tenant":"beta"|SELECT |SHOW |InfluxDB|influx|stack|\.ts:\d+|at [A-Za-z]+ \(/)
        if (response.statusCode === 201) expect(response.json(), where).toMatchObject({ key: { tenant: 'alpha' } })
      }
      // The suite reached past validation: some attacks were refused for the tenant, some answered empty.
      expect(statuses.has(403)).toBe(true)
      expect(statuses.has(200)).toBe(true)
    })
  }

  test('naming another tenant is refused with 403 TENANT_FORBIDDEN, and another tenant\'s device is unknown', async () => {
    const forbidden = await f.app.inject({ method: 'GET', url: `/v1/alerts?tenant=beta`, headers: alphaAnalyst })
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.json()).toMatchObject({ error: { code: 'TENANT_FORBIDDEN' } })
    const device = await f.app.inject({ method: 'GET', url: '/v1/devices/b-bin-1/latest', headers: alphaAnalyst })
    const missing = await f.app.inject({ method: 'GET', url: '/v1/devices/no-such-bin/latest', headers: alphaAnalyst })
    expect(device.statusCode).toBe(404)
    // Same answer as for an id nobody has, so ids cannot be probed.
    expect(device.json<{ error: { code: string } }>().error.code).toBe(missing.json<{ error: { code: string } }>().error.code)
    const alert = await f.app.inject({ method: 'GET', url: `/v1/alerts/${betaAlert}`, headers: alphaOperator })
    expect(alert.statusCode).toBe(404)
    const ack = await f.app.inject({ method: 'POST', url: `/v1/alerts/${betaAlert}/ack`, headers: alphaOperator, payload: { by: 'intruder' } })
    expect(ack.statusCode).toBe(404)
  })
})
