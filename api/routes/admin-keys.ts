import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { PlatformError } from '../../models/errors.js'
import { keyId, role, type ApiKeyView } from '../../core/registry/api-key.js'
import { identifier } from '../../core/registry/device.js'
import { identityOf, isPlatformAdmin, type Identity } from '../auth/identity.js'
import { optionalTenantOf } from '../auth/tenant-scope.js'
import type { RouteDeps } from '../deps.js'
import { invalidParameter } from '../errors.js'
import { errorResponses } from '../schemas.js'

const dayMs = 86_400_000

const createKeyBody = z.strictObject({
  name: z.string().min(1).max(100).describe('What the key is for, e.g. "grafana" or "ops laptop"'),
  role: role.describe('analyst < operator < admin'),
  tenant: identifier.optional().describe('Tenant the key belongs to: the caller\'s own by default; a platform key must name one unless `platform` is set'),
  platform: z.boolean().optional().describe('A platform admin key, bound to no tenant (platform keys only, admin role only)'),
  expiresInDays: z.number().int().min(1).max(3650).default(365).describe('Days until the key stops working'),
})

const keyBody = z.object({
  id: z.string(),
  name: z.string(),
  tenant: z.string().optional(),
  role,
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().optional(),
  revokedAt: z.string().optional(),
})

const keysQuery = z.strictObject({ tenant: identifier.optional().describe('Only keys of this tenant (platform keys only)') })

/**
 * `/v1/admin/keys`: create, list and revoke API keys. A tenant's admin manages the keys of its
 * own tenant; only a platform admin can make platform keys. Every change goes to the audit log.
 */
export const adminKeyRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.post(
    '/v1/admin/keys',
    {
      schema: {
        summary: 'Create an API key; the token is in this answer only',
        tags: ['admin'],
        body: createKeyBody,
        response: { 201: z.object({ key: keyBody, token: z.string().describe('Send as "Authorization: Bearer <token>"; it cannot be shown again') }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const caller = identityOf(request)
      const body = request.body
      const tenant = keyTenant(caller, body.tenant, body.platform === true, body.role)
      const { key, token } = deps.keys.create({ name: body.name, role: body.role, ...(tenant !== undefined ? { tenant } : {}), createdBy: caller.subject, expiresAt: Date.now() + body.expiresInDays * dayMs })
      deps.audit.append({ actor: caller.subject, action: 'key.create', ...(tenant !== undefined ? { tenant } : {}), target: key.id, details: { role: key.role, name: key.name, ...(key.expiresAt ? { expiresAt: key.expiresAt } : {}) } })
      return reply.code(201).send({ key, token })
    },
  )

  app.get(
    '/v1/admin/keys',
    { schema: { summary: 'API keys (never their secrets)', tags: ['admin'], querystring: keysQuery, response: { 200: z.object({ keys: z.array(keyBody) }), ...errorResponses(400, 401, 403) } } },
    async (request) => {
      const tenant = optionalTenantOf(identityOf(request), request.query.tenant)
      return { keys: deps.keys.list().filter((k) => tenant === undefined || k.tenant === tenant) }
    },
  )

  app.delete(
    '/v1/admin/keys/:id',
    { schema: { summary: 'Revoke an API key for good', tags: ['admin'], params: z.strictObject({ id: keyId }), response: { 200: keyBody, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => {
      const caller = identityOf(request)
      const existing = deps.keys.get(request.params.id)
      // Another tenant's key is answered like a missing one.
      if (!existing || !mayManage(caller, existing)) throw new PlatformError('KEY_UNKNOWN', `no API key "${request.params.id}"`, { keyId: request.params.id })
      const revoked = deps.keys.revoke(existing.id)
      deps.audit.append({ actor: caller.subject, action: 'key.revoke', ...(existing.tenant !== undefined ? { tenant: existing.tenant } : {}), target: existing.id, details: { role: existing.role, name: existing.name } })
      return revoked
    },
  )
}

/** The tenant a new key gets, refusing what the caller may not hand out. */
function keyTenant(caller: Identity, requested: string | undefined, platform: boolean, role: string): string | undefined {
  if (platform) {
    if (!isPlatformAdmin(caller)) throw new PlatformError('ROLE_FORBIDDEN', 'only a platform admin can create platform keys')
    if (requested !== undefined) throw invalidParameter('tenant', 'must be left out for a platform key')
    if (role !== 'admin') throw invalidParameter('role', 'must be admin for a platform key')
    return undefined
  }
  const tenant = optionalTenantOf(caller, requested)
  if (tenant === undefined) throw invalidParameter('tenant', 'is required: name the tenant the key belongs to, or set "platform": true')
  return tenant
}

function mayManage(caller: Identity, key: ApiKeyView): boolean {
  return caller.tenant === undefined || key.tenant === caller.tenant
}
