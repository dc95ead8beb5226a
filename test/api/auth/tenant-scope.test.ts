import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Identity } from '../../../api/auth/identity.js'
import { optionalTenantOf, tenantOf, tenantReader } from '../../../api/auth/tenant-scope.js'
import { SqliteStore } from '../../../core/store/sqlite-store.js'
import { silentLogger } from '../../core/store/test-database.js'
import { refusal } from '../../support/refusal.js'

const platform: Identity = { subject: 'key:p', role: 'admin' }
const alpha: Identity = { subject: 'key:a', role: 'analyst', tenant: 'alpha' }

describe('tenantOf and optionalTenantOf', () => {
  it('should give a tenant\'s caller its own tenant, named or not', () => {
    expect(tenantOf(alpha, undefined)).toBe('alpha')
    expect(tenantOf(alpha, 'alpha')).toBe('alpha')
    expect(optionalTenantOf(alpha, undefined)).toBe('alpha')
  })

  it('should refuse a tenant\'s caller naming another tenant with TENANT_FORBIDDEN', () => {
    for (const run of [() => tenantOf(alpha, 'beta'), () => optionalTenantOf(alpha, 'beta')]) {
      const error = refusal(run)
      expect(error.code).toBe('TENANT_FORBIDDEN')
      expect(error.details.parameter).toBe('tenant')
    }
  })

  it('should give a platform admin the tenant it names, and all tenants only where that is allowed', () => {
    expect(tenantOf(platform, 'beta')).toBe('beta')
    expect(optionalTenantOf(platform, 'beta')).toBe('beta')
    expect(optionalTenantOf(platform, undefined)).toBeUndefined()
    const error = refusal(() => tenantOf(platform, undefined))
    expect(error.code).toBe('INVALID_PARAMETER')
    expect(error.details.parameter).toBe('tenant')
  })
})

describe('tenantReader', () => {
  const t0 = Date.UTC(2026, 0, 15, 8)
  let directory: string
  let store: SqliteStore

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'circular-tenant-scope-'))
    store = new SqliteStore({ path: join(directory, 'store.sqlite') }, silentLogger)
    await store.ensureReady()
    await store.write([
      { measurement: 'waste_container', tags: { tenant: 'alpha', device: 'bin-1' }, fields: { filling_level: 0.25 }, time: t0 },
      { measurement: 'waste_container', tags: { tenant: 'beta', device: 'bin-1' }, fields: { filling_level: 0.75 }, time: t0 + 1000 },
    ])
  })
  afterAll(async () => {
    await store.close()
    rmSync(directory, { recursive: true, force: true })
  })

  const range = { from: t0 - 60_000, to: t0 + 60_000 }
  const values = (rows: readonly { value: unknown }[]): unknown[] => rows.map((r) => r.value)

  it('should read only the tenant\'s series, whatever tenant the query\'s tags name', async () => {
    const reader = tenantReader(store, 'alpha')
    const tagSets: Record<string, string>[] = [{ device: 'bin-1' }, { device: 'bin-1', tenant: 'beta' }]
    for (const tags of tagSets) {
      expect(values(await reader.readings({ measurements: ['waste_container'], tags, fields: [], limit: 10, ...range }))).toEqual([0.25])
      expect(values(await reader.latest({ measurements: ['waste_container'], tags }))).toEqual([0.25])
      expect((await reader.points({ measurement: 'waste_container', tags, limit: 10, ...range })).map((p) => p.fields.filling_level)).toEqual([0.25])
    }
  })

  it('should leave the queries as they are for a reader across all tenants', async () => {
    const reader = tenantReader(store, undefined)
    expect(reader).toBe(store)
    const points = await reader.points({ measurement: 'waste_container', tags: { device: 'bin-1' }, limit: 10, ...range })
    expect(points.map((p) => p.tags.tenant).sort()).toEqual(['alpha', 'beta'])
  })
})
