import type { Role } from '../../core/registry/api-key.js'

/** `public`: anyone; a role: callers with at least that role; `platform`: platform admins only. */
export type Access = 'public' | Role | 'platform'

/**
 * Who may call each route. Every route the API registers must be listed: building the app fails
 * on a route missing here, so none can be added without deciding who may call it.
 */
export const routeAccess: Readonly<Record<string, Access>> = {
  'GET /health': 'public',
  'GET /openapi.json': 'public',
  // The live web view's own files: no data in them, the page sends the key with its API calls.
  'GET /': 'public',
  'GET /web/*': 'public',
  'GET /v1/open/:tenant/metrics': 'public',
  'GET /v1/open/:tenant/footprint': 'public',
  'GET /metrics': 'platform',
  'GET /v1/devices': 'analyst',
  'POST /v1/devices': 'admin',
  'DELETE /v1/devices/:id': 'admin',
  'GET /v1/devices/:id/latest': 'analyst',
  'GET /v1/devices/:id/readings': 'analyst',
  'GET /v1/devices/:id/status': 'analyst',
  'GET /v1/devices/:id/commands': 'analyst',
  'POST /v1/devices/:id/commands': 'operator',
  'GET /v1/footprint': 'analyst',
  'GET /v1/sites/:id/kpis': 'analyst',
  'GET /v1/containers/forecast': 'analyst',
  'GET /v1/alerts': 'analyst',
  'GET /v1/alerts/:id': 'analyst',
  'POST /v1/alerts/:id/ack': 'operator',
  'GET /v1/alerts/rules': 'analyst',
  'PUT /v1/alerts/rules': 'operator',
  'GET /v1/admin/keys': 'admin',
  'POST /v1/admin/keys': 'admin',
  'DELETE /v1/admin/keys/:id': 'admin',
  'GET /v1/admin/audit': 'admin',
}

/** The access of a route; HEAD routes share their GET route's entry. */
export function accessOf(method: string, url: string): Access | undefined {
  return routeAccess[`${method === 'HEAD' ? 'GET' : method} ${url}`]
}
