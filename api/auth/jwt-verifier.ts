import { createRemoteJWKSet, jwtVerify } from 'jose'
import type { Config } from '../../core/config.js'
import { roles, type Role } from '../../core/registry/api-key.js'
import { identifier } from '../../core/registry/device.js'
import type { Identity } from './identity.js'

type Oidc = NonNullable<Config['auth']['oidc']>

/** Asymmetric algorithms only: an HMAC "key" in a JWKS would let anyone holding it mint tokens. */
const algorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']

/**
 * Verifies OIDC bearer tokens against the issuer's JWKS (fetched and cached by jose): signature,
 * issuer, audience, expiry. The tenant and the role come from configurable claims, dotted for
 * nested ones (`realm_access.roles`); a role claim may be a list, whose highest known role counts.
 */
export function jwtVerifier(oidc: Oidc): (token: string) => Promise<Identity> {
  const keys = createRemoteJWKSet(new URL(oidc.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 })
  return async (token) => {
    const { payload } = await jwtVerify(token, keys, { issuer: oidc.issuer, audience: oidc.audience, algorithms, clockTolerance: 30 })
    const tenant = claim(payload, oidc.tenantClaim)
    const role = highestRole(claim(payload, oidc.roleClaim))
    if (typeof tenant !== 'string' || role === undefined) throw new Error('token lacks the tenant or role claim')
    const subject = `token:${typeof payload.sub === 'string' ? payload.sub.slice(0, 200) : 'unknown'}`
    if (oidc.platformTenant !== undefined && tenant === oidc.platformTenant) {
      if (role !== 'admin') throw new Error('a platform token must carry the admin role')
      return { subject, role }
    }
    if (!identifier.safeParse(tenant).success) throw new Error('tenant claim is not a tenant id')
    return { subject, tenant, role }
  }
}

function claim(payload: Record<string, unknown>, path: string): unknown {
  let value: unknown = payload
  for (const part of path.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined
  return value
}

function highestRole(value: unknown): Role | undefined {
  const held = (Array.isArray(value) ? value : [value]).filter((v): v is Role => roles.includes(v as Role))
  return roles.filter((r) => held.includes(r)).pop()
}
