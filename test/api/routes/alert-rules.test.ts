import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { RulesSource } from '../../../processors/alerts/rules-source.js'
import { silentLogger } from '../../core/store/test-database.js'
import { apiFixture, type ApiFixture } from '../api-fixture.js'

const betaRules = {
  kinds: { waste_container: { fill: { threshold: 0.6 } } },
  webhooks: [{ id: 'beta-ops', url: 'https://ops.beta.example/hook', secret: 'beta-webhook-secret-0001' }],
}
const initialFile = { version: 1, all: { cooldownMinutes: 45 }, tenants: { beta: betaRules, alpha: { all: { cooldownMinutes: 5 } } } }

const alphaRules = {
  kinds: { waste_container: { fill: { threshold: 0.7 }, tamper: { lidOpenGraceMinutes: 30 } } },
  webhooks: [{ id: 'alpha-ops', url: 'https://ops.alpha.example/hook', secret: 'alpha-webhook-secret-0001', rules: ['fill', 'fire'] }],
  open311: { id: 'alpha-311', endpoint: 'https://311.alpha.example/open311/v2', apiKey: 'alpha-open311-key', serviceCodes: { fill: 'CONTAINER_FULL' } },
}

describe('GET and PUT /v1/alerts/rules: a tenant\'s operators manage its alert rules', () => {
  let f: ApiFixture
  const directory = mkdtempSync(join(tmpdir(), 'circular-rules-'))
  const rulesPath = join(directory, 'rules.json')

  beforeAll(async () => {
    writeFileSync(rulesPath, JSON.stringify(initialFile), { mode: 0o600 })
    f = await apiFixture({ env: { ALERT_RULES_FILE: rulesPath } })
  })
  afterAll(async () => {
    await f.close()
    rmSync(directory, { recursive: true, force: true })
  })

  const put = (headers: Record<string, string>, payload: unknown, query = '') => f.app.inject({ method: 'PUT', url: `/v1/alerts/rules${query}`, headers, payload: payload as Record<string, unknown> })
  const onDisk = (): typeof initialFile & { tenants: Record<string, unknown> } => JSON.parse(readFileSync(rulesPath, 'utf8')) as typeof initialFile & { tenants: Record<string, unknown> }

  test("an operator replaces its tenant's rules; the other tenants' rules and the global layers stay; a running processor picks the change up", async () => {
    const processorView = new RulesSource(rulesPath, silentLogger)
    expect(processorView.settingsFor({ tenant: 'alpha', kind: 'waste_container' }).fill.threshold).toBe(0.8)

    const response = await put(f.as('operator', 'alpha'), alphaRules)
    expect(response.statusCode).toBe(200)
    expect(response.json()).toMatchObject({ tenant: 'alpha', rules: { kinds: alphaRules.kinds } })

    const file = onDisk()
    expect(file.tenants.alpha).toEqual(alphaRules)
    expect(file.tenants.beta).toEqual(betaRules)
    expect(file.all).toEqual(initialFile.all)
    expect(statSync(rulesPath).mode & 0o777).toBe(0o600)

    // The processor checks the file at most once a second and reloads it without a restart.
    await new Promise((r) => setTimeout(r, 1100))
    const alpha = processorView.settingsFor({ tenant: 'alpha', kind: 'waste_container' })
    expect(alpha.fill.threshold).toBe(0.7)
    expect(alpha.tamper.lidOpenGraceMinutes).toBe(30)
    // The tenant's old `all` layer was replaced, so the global cooldown applies again.
    expect(alpha.cooldownMinutes).toBe(45)
    expect(processorView.webhooksFor('alpha', 'fill', 'firing').map((w) => w.id)).toEqual(['alpha-ops'])
    expect(processorView.settingsFor({ tenant: 'beta', kind: 'waste_container' }).fill.threshold).toBe(0.6)
  })

  test('an analyst reads its tenant\'s rules without any secret, and never another tenant\'s', async () => {
    const analyst = f.as('analyst', 'alpha')
    const response = await f.app.inject({ method: 'GET', url: '/v1/alerts/rules', headers: analyst })
    expect(response.statusCode).toBe(200)
    const body = response.json<{ tenant: string; rules: { webhooks: Record<string, unknown>[]; open311: Record<string, unknown> } }>()
    expect(body.tenant).toBe('alpha')
    expect(body.rules.webhooks).toEqual([{ id: 'alpha-ops', url: 'https://ops.alpha.example/hook', rules: ['fill', 'fire'] }])
    expect(body.rules.open311).toEqual({ id: 'alpha-311', endpoint: 'https://311.alpha.example/open311/v2', serviceCodes: { fill: 'CONTAINER_FULL' } })
    expect(response.body).not.toContain('secret-0001')
    expect(response.body).not.toContain('alpha-open311-key')
    expect(response.body).not.toContain('beta')

    const foreign = await f.app.inject({ method: 'GET', url: '/v1/alerts/rules?tenant=beta', headers: analyst })
    expect(foreign.statusCode).toBe(403)
    expect(foreign.json()).toMatchObject({ error: { code: 'TENANT_FORBIDDEN' } })
    expect(foreign.body).not.toContain('0.6')
  })

  test("an analyst cannot change rules, and an operator cannot change another tenant's", async () => {
    const before = readFileSync(rulesPath, 'utf8')
    const analyst = await put(f.as('analyst', 'alpha'), {})
    expect(analyst.statusCode).toBe(403)
    expect(analyst.json()).toMatchObject({ error: { code: 'ROLE_FORBIDDEN' } })
    const foreign = await put(f.as('operator', 'alpha'), {}, '?tenant=beta')
    expect(foreign.statusCode).toBe(403)
    expect(foreign.json()).toMatchObject({ error: { code: 'TENANT_FORBIDDEN' } })
    expect(readFileSync(rulesPath, 'utf8')).toBe(before)
  })

  test('rules are checked with the rules file\'s schema: a bad value, an unknown rule, a short secret or a missing secret is refused naming where, and the file is untouched', async () => {
    const before = readFileSync(rulesPath, 'utf8')
    const operator = f.as('operator', 'alpha')
    for (const [payload, parameter, where] of [
      [{ kinds: { waste_container: { fill: { threshold: 1.5 } } } }, 'kinds', 'body field "kinds.waste_container.fill.threshold"'],
      [{ all: { flood: { enabled: true } } }, 'all', 'unknown body field "all.flood"'],
      [{ kinds: { toaster: {} } }, 'kinds', 'kinds'],
      [{ webhooks: [{ id: 'x', url: 'https://x.example', secret: 'short' }] }, 'webhooks', 'body field "webhooks.0.secret"'],
      [{ webhooks: [{ id: 'x', url: 'https://x.example' }] }, 'webhooks', 'webhooks'],
      [{ webhooks: [{ id: 'x', url: 'ftp://x.example/h', secret: 'long-enough-secret-000' }] }, 'webhooks', 'webhooks.0.url'],
      [{ version: 1 }, 'version', 'unknown body field "version"'],
    ] as const) {
      const response = await put(operator, payload)
      expect(response.statusCode, JSON.stringify(payload)).toBe(400)
      const { error } = response.json<{ error: { code: string; parameter: string; message: string } }>()
      expect(error.code).toBe('INVALID_PARAMETER')
      expect(error.parameter).toBe(parameter)
      expect(error.message).toContain(where)
    }
    expect(readFileSync(rulesPath, 'utf8')).toBe(before)
  })

  test('every change is audited with who made it and never a secret; an empty body removes the tenant\'s entry', async () => {
    const operator = f.as('operator', 'alpha')
    expect((await put(operator, {})).statusCode).toBe(200)
    expect(onDisk().tenants).not.toHaveProperty('alpha')
    expect(onDisk().tenants.beta).toEqual(betaRules)

    const audit = (await f.app.inject({ method: 'GET', url: '/v1/admin/audit?tenant=alpha', headers: f.admin })).json<{ entries: { action: string; target: string; actor: string; details?: Record<string, unknown> }[] }>()
    const changes = audit.entries.filter((e) => e.action === 'alert-rules.replace')
    expect(changes).toHaveLength(2)
    expect(changes[0]).toMatchObject({ target: 'alert-rules:alpha', details: { webhooks: 0, open311: false } })
    expect(changes[1]).toMatchObject({ target: 'alert-rules:alpha', details: { kinds: 'waste_container', webhooks: 1, open311: true } })
    expect(changes[0]!.actor).toMatch(/^key:[0-9a-f]{16}$/)
    expect(JSON.stringify(audit)).not.toContain('secret-0001')
    expect(JSON.stringify(audit)).not.toContain('alpha-open311-key')
  })

  test('a platform admin names the tenant whose rules it manages', async () => {
    const unnamed = await f.app.inject({ method: 'GET', url: '/v1/alerts/rules', headers: f.admin })
    expect(unnamed.statusCode).toBe(400)
    expect(unnamed.json()).toMatchObject({ error: { code: 'INVALID_PARAMETER', parameter: 'tenant' } })
    const beta = await f.app.inject({ method: 'GET', url: '/v1/alerts/rules?tenant=beta', headers: f.admin })
    expect(beta.json()).toMatchObject({ tenant: 'beta', rules: { kinds: betaRules.kinds, webhooks: [{ id: 'beta-ops' }] } })
  })

  test('a rules file broken by hand is not overwritten: the change is refused and the file stays as it is', async () => {
    const broken = '{"version": 1, "all": {"fill": {"threshold": 7}}}'
    writeFileSync(rulesPath, broken)
    const response = await put(f.as('operator', 'alpha'), alphaRules)
    expect(response.statusCode).toBe(500)
    expect(response.json()).toMatchObject({ error: { code: 'ALERT_RULES_INVALID', message: 'the alert rules file is invalid' } })
    expect(response.body).not.toContain(rulesPath)
    expect(readFileSync(rulesPath, 'utf8')).toBe(broken)
    writeFileSync(rulesPath, JSON.stringify(initialFile))
  })
})

describe('PUT /v1/alerts/rules: delivery targets that would reach internal services are refused', () => {
  let strict: ApiFixture
  let allowing: ApiFixture
  const directory = mkdtempSync(join(tmpdir(), 'circular-rules-targets-'))
  const strictRules = join(directory, 'strict.json')
  const allowingRules = join(directory, 'allowing.json')
  const secret = 'target-test-secret-0001'

  beforeAll(async () => {
    writeFileSync(strictRules, JSON.stringify(initialFile), { mode: 0o600 })
    writeFileSync(allowingRules, JSON.stringify(initialFile), { mode: 0o600 })
    strict = await apiFixture({ env: { ALERT_RULES_FILE: strictRules } })
    allowing = await apiFixture({ env: { ALERT_RULES_FILE: allowingRules, ALERT_TARGETS_ALLOW: '127.0.0.1,10.20.0.0/16' } })
  })
  afterAll(async () => {
    await strict.close()
    await allowing.close()
    rmSync(directory, { recursive: true, force: true })
  })

  test('a webhook to the metadata address, to a name resolving to loopback, to a private or encoded loopback address, or with credentials is a 400 naming the subscriber; the file stays', async () => {
    const before = readFileSync(strictRules, 'utf8')
    const operator = strict.as('operator', 'alpha')
    const internal = 'address; delivery targets must be public unless ALERT_TARGETS_ALLOW lists them'
    for (const [payload, parameter, message] of [
      [{ webhooks: [{ id: 'metadata', url: 'http://169.254.169.254/latest/meta-data/iam', secret }] }, 'webhooks', `body field "webhooks.0.url": webhook "metadata": target refused: address 169.254.169.254 is a link-local ${internal}`],
      [
        { webhooks: [{ id: 'ops', url: 'https://ops.alpha.example/hook', secret }, { id: 'local', url: 'http://localhost:8086/query', secret }] },
        'webhooks',
        `body field "webhooks.1.url": webhook "local": target refused: localhost resolves to 127.0.0.1, which is a loopback ${internal}`,
      ],
      [{ webhooks: [{ id: 'decimal', url: 'http://2130706433:9092/', secret }] }, 'webhooks', `body field "webhooks.0.url": webhook "decimal": target refused: address 127.0.0.1 is a loopback ${internal}`],
      [{ webhooks: [{ id: 'lan', url: 'http://192.168.1.10/hook', secret }] }, 'webhooks', `webhook "lan": target refused: address 192.168.1.10 is a private ${internal}`],
      [{ webhooks: [{ id: 'creds', url: 'https://user:pw@ops.alpha.example/hook', secret }] }, 'webhooks', 'body field "webhooks.0.url": webhook "creds": target refused: credentials in the URL are not allowed'],
      [
        { open311: { id: 'alpha-311', endpoint: 'http://[::ffff:10.0.0.5]/open311/v2', apiKey: 'k', serviceCodes: { fill: 'FULL' } } },
        'open311',
        `body field "open311.endpoint": Open311 endpoint "alpha-311": target refused: address ::ffff:a00:5 is a private ${internal}`,
      ],
    ] as const) {
      const response = await strict.app.inject({ method: 'PUT', url: '/v1/alerts/rules', headers: operator, payload })
      expect(response.statusCode, JSON.stringify(payload)).toBe(400)
      const { error } = response.json<{ error: { code: string; parameter: string; message: string } }>()
      expect(error).toMatchObject({ code: 'INVALID_PARAMETER', parameter })
      expect(error.message).toContain(message)
    }
    expect(readFileSync(strictRules, 'utf8')).toBe(before)
    const audit = (await strict.app.inject({ method: 'GET', url: '/v1/admin/audit?tenant=alpha', headers: strict.admin })).json<{ entries: { action: string }[] }>()
    expect(audit.entries.filter((e) => e.action === 'alert-rules.replace')).toEqual([])
  })

  test('a host name that does not resolve yet is accepted; the notifier checks it at every request', async () => {
    const response = await strict.app.inject({ method: 'PUT', url: '/v1/alerts/rules', headers: strict.as('operator', 'alpha'), payload: { webhooks: [{ id: 'later', url: 'https://hooks.alpha.invalid/x', secret }] } })
    expect(response.statusCode).toBe(200)
  })

  test('ALERT_TARGETS_ALLOW lets the city\'s own services through: loopback by name and address, and its private block', async () => {
    const payload = {
      webhooks: [
        { id: 'local', url: 'http://localhost:9000/hook', secret },
        { id: 'private', url: 'http://10.20.3.4/hook', secret },
      ],
      open311: { id: 'alpha-311', endpoint: 'http://127.0.0.1:9001/open311/v2', apiKey: 'k', serviceCodes: { fill: 'FULL' } },
    }
    const response = await allowing.app.inject({ method: 'PUT', url: '/v1/alerts/rules', headers: allowing.as('operator', 'alpha'), payload })
    expect(response.statusCode).toBe(200)
    expect((JSON.parse(readFileSync(allowingRules, 'utf8')) as { tenants: Record<string, unknown> }).tenants.alpha).toEqual(payload)
    const elsewhere = await allowing.app.inject({ method: 'PUT', url: '/v1/alerts/rules', headers: allowing.as('operator', 'alpha'), payload: { webhooks: [{ id: 'metadata', url: 'http://169.254.169.254/', secret }] } })
    expect(elsewhere.statusCode).toBe(400)
  })
})

describe('alert rules without ALERT_RULES_FILE', () => {
  let f: ApiFixture
  beforeAll(async () => {
    f = await apiFixture()
  })
  afterAll(() => f.close())

  test('the API writes alert-rules.json in the state directory, which is where the processor reads them (absent: built-in rules)', async () => {
    expect(f.config.alerts.rulesFile).toBe(`${f.config.stateDir}/alert-rules.json`)
    const processorView = new RulesSource(f.config.alerts.rulesFile, silentLogger, { optional: !f.config.alerts.rulesFileRequired })
    expect(processorView.settingsFor({ tenant: 'alpha', kind: 'waste_container' }).fill.threshold).toBe(0.8)

    const response = await f.app.inject({ method: 'PUT', url: '/v1/alerts/rules', headers: f.as('operator', 'alpha'), payload: { kinds: { waste_container: { fill: { threshold: 0.65 } } } } })
    expect(response.statusCode).toBe(200)
    expect(JSON.parse(readFileSync(f.config.alerts.rulesFile, 'utf8'))).toEqual({ version: 1, tenants: { alpha: { kinds: { waste_container: { fill: { threshold: 0.65 } } } } } })
    await new Promise((r) => setTimeout(r, 1100))
    expect(processorView.settingsFor({ tenant: 'alpha', kind: 'waste_container' }).fill.threshold).toBe(0.65)
  })

  test('the alert routes\' OpenAPI entries list the authentication and role refusals', async () => {
    const document = (await f.app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>()
    for (const [path, method] of [
      ['/v1/alerts', 'get'],
      ['/v1/alerts/{id}', 'get'],
      ['/v1/alerts/rules', 'get'],
      ['/v1/alerts/rules', 'put'],
    ] as const) {
      expect(Object.keys(document.paths[path]![method]!.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['401', '403']))
    }
  })
})
