import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { auditActions } from '../../core/registry/audit-log.js'
import { identifier } from '../../core/registry/device.js'
import { identityOf } from '../auth/identity.js'
import { optionalTenantOf } from '../auth/tenant-scope.js'
import type { RouteDeps } from '../deps.js'
import { errorResponses } from '../schemas.js'

const auditQuery = z.strictObject({
  tenant: identifier.optional().describe('Tenant: the caller\'s own by default; a platform key may name one or leave it out for all'),
  limit: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1).max(10_000).default(500).describe('Most entries returned, newest first'),
})

const auditBody = z.object({
  entries: z.array(
    z.object({
      at: z.string(),
      actor: z.string(),
      action: z.enum(auditActions),
      tenant: z.string().optional(),
      target: z.string(),
      details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    }),
  ),
})

/** `GET /v1/admin/audit`: who created or revoked which key or device, and when; newest first. */
export const auditRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/v1/admin/audit',
    { schema: { summary: 'Audit log of admin actions, newest first', tags: ['admin'], querystring: auditQuery, response: { 200: auditBody, ...errorResponses(400, 401, 403) } } },
    async (request) => {
      const tenant = optionalTenantOf(identityOf(request), request.query.tenant)
      return { entries: deps.audit.read({ ...(tenant !== undefined ? { tenant } : {}), limit: request.query.limit }) }
    },
  )
}
