import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { addDevice, apiFixture, type ApiFixture } from '../api-fixture.js'

/** A local OpenID issuer: a JWKS served over HTTP by the test, and keys to sign tokens with. */
describe('OIDC bearer tokens', () => {
  let jwksServer: Server
  let issuer: string
  let signingKey: CryptoKey
  let strangerKey: CryptoKey
  let f: ApiFixture
  const audience = 'circular-api'

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256')
    signingKey = pair.privateKey
    strangerKey = (await generateKeyPair('ES256')).privateKey
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
    jwksServer = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ keys: [jwk] }))
    })
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', () => resolve()))
    issuer = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`
    f = await apiFixture({
      env: { OIDC_ISSUER: issuer, OIDC_AUDIENCE: audience, OIDC_JWKS_URL: `${issuer}/jwks`, OIDC_TENANT_CLAIM: 'city', OIDC_ROLE_CLAIM: 'realm_access.roles', OIDC_PLATFORM_TENANT: '*' },
    })
    await addDevice(f.registry, { id: 'a-bin', tenant: 'alpha' })
    await addDevice(f.registry, { id: 'b-bin', tenant: 'beta' })
  })
  afterAll(async () => {
    await f.close()
    await new Promise((resolve) => jwksServer.close(resolve))
  })

  async function token(claims: Record<string, unknown>, options: { key?: CryptoKey; iss?: string; aud?: string; exp?: string | number } = {}): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setSubject('jane@alpha.example')
      .setIssuer(options.iss ?? issuer)
      .setAudience(options.aud ?? audience)
      .setIssuedAt()
      .setExpirationTime(options.exp ?? '5m')
      .sign(options.key ?? signingKey)
  }

  const devices = async (jwt: string): Promise<{ status: number; body: { devices?: { id: string }[]; error?: { code: string } } }> => {
    const response = await f.app.inject({ method: 'GET', url: '/v1/devices', headers: { authorization: `Bearer ${jwt}` } })
    return { status: response.statusCode, body: response.json() }
  }

  test('a valid token gives its tenant and highest role from the configured claims', async () => {
    const analyst = await devices(await token({ city: 'alpha', realm_access: { roles: ['offline_access', 'analyst'] } }))
    expect(analyst.status).toBe(200)
    expect(analyst.body.devices?.map((d) => d.id)).toEqual(['a-bin'])
    const keys = await f.app.inject({ method: 'GET', url: '/v1/admin/keys', headers: { authorization: `Bearer ${await token({ city: 'alpha', realm_access: { roles: ['analyst'] } })}` } })
    expect(keys.statusCode).toBe(403)
    const admin = await f.app.inject({ method: 'GET', url: '/v1/admin/keys', headers: { authorization: `Bearer ${await token({ city: 'alpha', realm_access: { roles: ['analyst', 'admin'] } })}` } })
    expect(admin.statusCode).toBe(200)
  })

  test('the platform tenant value with the admin role is a platform admin', async () => {
    const platform = await devices(await token({ city: '*', realm_access: { roles: ['admin'] } }))
    expect(platform.body.devices?.map((d) => d.id)).toEqual(['a-bin', 'b-bin'])
    expect((await devices(await token({ city: '*', realm_access: { roles: ['analyst'] } }))).status).toBe(401)
  })

  test('wrong signer, issuer, audience, an expired token, an unsigned token or missing claims are refused with 401', async () => {
    const claims = { city: 'alpha', realm_access: { roles: ['analyst'] } }
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
    const payload = Buffer.from(JSON.stringify({ ...claims, iss: issuer, aud: audience, exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url')
    const cases: Record<string, string> = {
      'another key': await token(claims, { key: strangerKey }),
      'another issuer': await token(claims, { iss: 'https://evil.example' }),
      'another audience': await token(claims, { aud: 'someone-else' }),
      expired: await token(claims, { exp: Math.floor(Date.now() / 1000) - 3600 }),
      unsigned: `${header}.${payload}.`,
      'no tenant': await token({ realm_access: { roles: ['analyst'] } }),
      'no known role': await token({ city: 'alpha', realm_access: { roles: ['superuser'] } }),
      'tenant not an id': await token({ city: "alpha' OR 1=1", realm_access: { roles: ['analyst'] } }),
    }
    for (const [name, jwt] of Object.entries(cases)) {
      const result = await devices(jwt)
      expect(result.status, name).toBe(401)
      expect(result.body.error?.code, name).toBe('AUTH_INVALID')
    }
  })
})
