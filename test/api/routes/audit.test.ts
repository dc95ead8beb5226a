import { appendFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { AuditLog } from '../../../core/registry/audit-log.js'
import { apiFixture, type ApiFixture } from '../api-fixture.js'

interface Entries {
  entries: { at: string; actor: string; action: string; tenant?: string; target: string; details?: Record<string, unknown> }[]
}

const t0 = Date.UTC(2026, 0, 15, 8)

describe('GET /v1/admin/audit', () => {
  let f: ApiFixture

  beforeAll(async () => {
    f = await apiFixture()
    const log = new AuditLog(f.config.auth.auditLogFile)
    log.append({ actor: 'cli:ops', action: 'key.create', target: 'platform-key', details: { role: 'admin' } }, t0)
    log.append({ actor: 'key:a', action: 'device.add', tenant: 'alpha', target: 'alpha-bin-1' }, t0 + 1000)
    log.append({ actor: 'key:b', action: 'device.add', tenant: 'beta', target: 'beta-bin-1' }, t0 + 2000)
    log.append({ actor: 'key:a', action: 'alert-rules.replace', tenant: 'alpha', target: 'alert-rules:alpha', details: { webhooks: 1, open311: false } }, t0 + 3000)
  })
  afterAll(() => f.close())

  const get = (headers: Record<string, string>, query = '') => f.app.inject({ method: 'GET', url: `/v1/admin/audit${query}`, headers })
  const targets = async (headers: Record<string, string>, query = ''): Promise<string[]> => (await get(headers, query)).json<Entries>().entries.map((e) => e.target)

  test('a platform admin reads every entry newest first, or one tenant\'s', async () => {
    const response = await get(f.admin)
    expect(response.statusCode).toBe(200)
    const { entries } = response.json<Entries>()
    expect(entries.map((e) => e.target)).toEqual(['alert-rules:alpha', 'beta-bin-1', 'alpha-bin-1', 'platform-key'])
    expect(entries[0]).toEqual({ at: new Date(t0 + 3000).toISOString(), actor: 'key:a', action: 'alert-rules.replace', tenant: 'alpha', target: 'alert-rules:alpha', details: { webhooks: 1, open311: false } })
    expect(await targets(f.admin, '?tenant=beta')).toEqual(['beta-bin-1'])
  })

  test('a tenant admin reads its own tenant\'s entries only, and may not name another tenant', async () => {
    const alphaAdmin = f.as('admin', 'alpha')
    expect(await targets(alphaAdmin)).toEqual(['alert-rules:alpha', 'alpha-bin-1'])
    expect(await targets(alphaAdmin, '?tenant=alpha')).toEqual(['alert-rules:alpha', 'alpha-bin-1'])
    const forbidden = await get(alphaAdmin, '?tenant=beta')
    expect(forbidden.statusCode).toBe(403)
    expect(forbidden.json()).toMatchObject({ error: { code: 'TENANT_FORBIDDEN' } })
  })

  test('the limit counts the newest entries; it must be a whole number from 1 to 10 000', async () => {
    expect(await targets(f.admin, '?limit=2')).toEqual(['alert-rules:alpha', 'beta-bin-1'])
    for (const limit of ['0', '10001', '2.5', 'all']) {
      const response = await get(f.admin, `?limit=${limit}`)
      expect(response.statusCode, limit).toBe(400)
      expect(response.json(), limit).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter: 'limit' } })
    }
  })

  test('without a limit it answers the newest 500 entries', async () => {
    const lines = Array.from({ length: 501 }, (_, i) => JSON.stringify({ at: new Date(t0 + 10_000 + i).toISOString(), actor: 'cli:bulk', action: 'device.add', tenant: 'gamma', target: `gamma-bin-${i}` }))
    appendFileSync(f.config.auth.auditLogFile, lines.join('\n') + '\n')
    const newest = await targets(f.admin, '?tenant=gamma')
    expect(newest).toHaveLength(500)
    expect(newest[0]).toBe('gamma-bin-500')
    expect(newest.at(-1)).toBe('gamma-bin-1')
  })
})
