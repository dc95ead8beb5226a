import { createServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { TLSSocket } from 'node:tls'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadConfig } from '../../../core/config.js'
import { classifyAddress, DeliveryTargets, type Resolver } from '../../../core/alerts/delivery-target.js'
import { createTestCa, type TestCa } from '../../support/test-ca.js'

describe('address classification', () => {
  test.each([
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'special'],
    ['240.0.0.1', 'special'],
    ['192.0.2.10', 'special'],
    ['198.18.0.1', 'special'],
  ])('IPv4 %s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind)
  })

  test.each([
    ['2606:4700:4700::1111', 'public'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'special'],
    ['2001::1', 'special'],
    ['2002:7f00:1::1', 'special'],
    ['::7f00:1', 'special'],
    ['[::1]', 'loopback'],
    ['not an address', 'special'],
  ])('IPv6 %s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind)
  })

  test.each([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::808:808', 'public'],
  ])('an IPv4 address inside IPv6, %s, is judged as the IPv4 address: %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind)
  })
})

const noDns: Resolver = (hostname) => Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }))

describe('delivery target check', () => {
  const strict = new DeliveryTargets([], { resolve: noDns })

  test.each([
    // Decimal, hexadecimal, octal and shortened IPv4 forms: URL parsing turns each into 127.0.0.1.
    'http://2130706433/hook',
    'http://0x7f000001/hook',
    'http://0x7f.0.0.1/hook',
    'http://0177.0.0.1/hook',
    'http://017700000001/hook',
    'http://127.1/hook',
    'http://127.0.0.1:8080/hook',
    'https://[::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://[::ffff:7f00:1]/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://0xa9fea9fe/latest/meta-data/',
    'http://[fd00::10]/hook',
    'http://0.0.0.0:9092/',
    'http://10.0.0.5/open311/v2',
  ])('%s is refused as an internal address', async (url) => {
    await expect(strict.check(url)).rejects.toMatchObject({ code: 'DELIVERY_TARGET_REFUSED', message: expect.stringMatching(/^target refused: address .* is a .* address; delivery targets must be public unless ALERT_TARGETS_ALLOW lists them$/) as unknown })
  })

  test('other schemes and credentials in the URL are refused before anything is resolved', async () => {
    let resolved = 0
    const counting = new DeliveryTargets([], { resolve: async () => (resolved++, [{ address: '93.184.216.34', family: 4 }]) })
    await expect(counting.check('ftp://hooks.example/x')).rejects.toMatchObject({ code: 'DELIVERY_TARGET_REFUSED', message: 'target refused: scheme ftp is not allowed; use http or https' })
    await expect(counting.check('file:///etc/passwd')).rejects.toMatchObject({ code: 'DELIVERY_TARGET_REFUSED' })
    await expect(counting.check('https://user:pass@hooks.example/x')).rejects.toMatchObject({ message: 'target refused: credentials in the URL are not allowed' })
    await expect(counting.check('https://user@hooks.example/x')).rejects.toMatchObject({ message: 'target refused: credentials in the URL are not allowed' })
    expect(resolved).toBe(0)
    await expect(counting.check('https://hooks.example/x')).resolves.toMatchObject({ address: '93.184.216.34', family: 4 })
  })

  test('a name is refused when any of its addresses is internal, and names the address', async () => {
    const targets = new DeliveryTargets([], { resolve: async () => [{ address: '93.184.216.34', family: 4 }, { address: '::ffff:169.254.169.254', family: 6 }] })
    await expect(targets.check('https://hooks.city.example/x')).rejects.toMatchObject({
      code: 'DELIVERY_TARGET_REFUSED',
      message: 'target refused: hooks.city.example resolves to ::ffff:169.254.169.254, which is a link-local address; delivery targets must be public unless ALERT_TARGETS_ALLOW lists them',
    })
  })

  test('the real resolver: localhost resolves to loopback and is refused; a name that does not resolve is a failure, not a refusal', async () => {
    const targets = new DeliveryTargets()
    await expect(targets.check('http://localhost:8080/hook')).rejects.toMatchObject({ code: 'DELIVERY_TARGET_REFUSED', message: expect.stringContaining('localhost resolves to 127.0.0.1, which is a loopback address') as unknown })
    const unresolved = await targets.check('https://hooks.city.invalid/x').catch((error: unknown) => error)
    expect(unresolved).toBeInstanceOf(Error)
    expect(unresolved).not.toMatchObject({ code: 'DELIVERY_TARGET_REFUSED' })
  })

  test('ALERT_TARGETS_ALLOW lets CIDR blocks (covering IPv4-mapped IPv6) and host names through', async () => {
    const resolve: Resolver = async (hostname) => [{ address: hostname === 'open311.city.internal' ? '10.20.0.7' : '192.168.5.5', family: 4 }]
    const targets = new DeliveryTargets(['127.0.0.1', '10.20.0.0/16', 'fd00:abcd::/32', 'hooks.city.internal', '*.svc.city.internal'], { resolve })
    for (const url of ['http://127.0.0.1:9/x', 'http://[::ffff:127.0.0.1]:9/x', 'http://10.20.255.1/x', 'https://open311.city.internal/v2', 'http://[fd00:abcd::5]/x', 'https://HOOKS.city.internal./x', 'https://a.b.svc.city.internal/x']) {
      await expect(targets.check(url), url).resolves.toBeDefined()
    }
    for (const url of ['http://127.0.0.2/x', 'http://10.21.0.1/x', 'http://169.254.169.254/x', 'https://other.city.internal/x', 'https://svc.city.internal.evil.example/x', 'http://[fd00:abce::5]/x']) {
      await expect(targets.check(url), url).rejects.toMatchObject({ code: 'DELIVERY_TARGET_REFUSED' })
    }
  })

  test('the configuration reads ALERT_TARGETS_ALLOW as a list, empty by default, and refuses entries that are neither blocks nor names', () => {
    expect(loadConfig({}).alerts.delivery.targetsAllow).toEqual([])
    expect(loadConfig({ ALERT_TARGETS_ALLOW: '10.0.0.0/8, fd00::/8 ,311.city.internal,*.city.internal,127.0.0.1' }).alerts.delivery.targetsAllow).toEqual(['10.0.0.0/8', 'fd00::/8', '311.city.internal', '*.city.internal', '127.0.0.1'])
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'http://10.0.0.1', '10.0.0.0/8/1', 'bad name', '*']) {
      expect(() => loadConfig({ ALERT_TARGETS_ALLOW: bad }), bad).toThrow(/ALERT_TARGETS_ALLOW/)
    }
  })
})

/** A receiver on loopback that remembers the Host header (and SNI name) of each request. */
async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

describe('requests to checked targets', () => {
  const seen: { host?: string; servername?: string | false | null; url?: string }[] = []
  const record = (req: IncomingMessage, res: { writeHead(status: number): { end(body?: string): void } }): void => {
    seen.push({ host: req.headers.host, servername: (req.socket as TLSSocket).servername, url: req.url })
    res.writeHead(200).end('[]')
  }
  const plain = createServer(record)
  let ca: TestCa
  let tls: Server
  let plainPort = 0
  let tlsPort = 0

  beforeAll(async () => {
    ca = createTestCa()
    tls = createTlsServer({ cert: readFileSync(ca.server.certFile), key: readFileSync(ca.server.keyFile) }, record)
    plainPort = await listen(plain)
    tlsPort = await listen(tls)
  })
  afterAll(async () => {
    for (const server of [plain, tls]) {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
    ca.cleanup()
  })

  test('the connection goes to the address the check resolved, once, with the URL\'s name as Host', async () => {
    let lookups = 0
    // A name no DNS knows: only the checked answer can have taken the request to the receiver.
    const targets = new DeliveryTargets(['127.0.0.1'], { resolve: async () => (lookups++, [{ address: '127.0.0.1', family: 4 }]) })
    seen.length = 0
    const response = await targets.request(`http://hooks.city.test:${plainPort}/hook?x=1`, { method: 'POST', body: '{}', timeoutMs: 2000 })
    expect(response).toEqual({ status: 200, body: '[]' })
    expect(lookups).toBe(1)
    expect(seen).toEqual([{ host: `hooks.city.test:${plainPort}`, servername: undefined, url: '/hook?x=1' }])
  })

  test('https keeps the name for SNI and certificate verification while connecting to the checked address', async () => {
    const targets = new DeliveryTargets(['127.0.0.1'], { resolve: async () => [{ address: '127.0.0.1', family: 4 }], ca: ca.caPem })
    seen.length = 0
    expect((await targets.request(`https://localhost:${tlsPort}/v2/requests.json`, { method: 'GET', timeoutMs: 2000 })).status).toBe(200)
    expect(seen).toEqual([{ host: `localhost:${tlsPort}`, servername: 'localhost', url: '/v2/requests.json' }])
    // A name the certificate does not carry fails verification, though it resolves to the same address.
    await expect(targets.request(`https://hooks.city.test:${tlsPort}/v2`, { method: 'GET', timeoutMs: 2000 })).rejects.toThrow(/altnames|does not match/i)
  })

  test('a name rebound to loopback is refused before any connection, and the receiver gets nothing', async () => {
    const answers = [[{ address: '93.184.216.34', family: 4 }], [{ address: '127.0.0.1', family: 4 }]]
    const targets = new DeliveryTargets([], { resolve: async () => answers.shift() ?? [] })
    await targets.check(`http://rebind.city.test:${plainPort}/`)
    seen.length = 0
    await expect(targets.request(`http://rebind.city.test:${plainPort}/hook`, { method: 'POST', body: '{}', timeoutMs: 2000 })).rejects.toMatchObject({ code: 'DELIVERY_TARGET_REFUSED' })
    await expect(new DeliveryTargets().request(`http://127.0.0.1:${plainPort}/hook`, { method: 'POST', body: '{}', timeoutMs: 2000 })).rejects.toMatchObject({ code: 'DELIVERY_TARGET_REFUSED' })
    expect(seen).toEqual([])
  })

  test('a resolver that does not answer counts against the attempt\'s timeout', async () => {
    const targets = new DeliveryTargets([], { resolve: () => new Promise(() => undefined) })
    await expect(targets.request('http://slow.city.test/hook', { method: 'GET', timeoutMs: 100 })).rejects.toMatchObject({ name: 'TimeoutError', message: 'no answer within 100 ms' })
  })
})
