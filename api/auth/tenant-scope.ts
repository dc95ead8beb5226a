import { PlatformError } from '../../models/errors.js'
import type { Point, PointsQuery, ReadingsQuery, SeriesSelector, Store, StoredValue } from '../../core/store/store.js'
import { invalidParameter } from '../errors.js'
import type { Identity } from './identity.js'

/**
 * The tenant a request may read: a tenant's caller always reads its own tenant (naming another
 * is refused); a platform admin names the tenant it wants.
 */
export function tenantOf(identity: Identity, requested: string | undefined): string {
  const tenant = optionalTenantOf(identity, requested)
  if (tenant === undefined) throw invalidParameter('tenant', 'is required with a platform key: name the tenant to read')
  return tenant
}

/** As `tenantOf`, where a platform admin may also read across all tenants (undefined). */
export function optionalTenantOf(identity: Identity, requested: string | undefined): string | undefined {
  if (identity.tenant === undefined) return requested
  if (requested !== undefined && requested !== identity.tenant) {
    throw new PlatformError('TENANT_FORBIDDEN', 'these credentials do not give access to this tenant', { parameter: 'tenant' })
  }
  return identity.tenant
}

/** What the routes read the store through. */
export type StoreReader = Pick<Store, 'readings' | 'points' | 'latest'>

/**
 * The store narrowed to one tenant: every query carries the tenant tag filter in the statement
 * itself, overriding any tenant a caller put into the tags, so no other tenant's series is ever
 * read. Undefined (a platform admin reading across tenants) leaves the queries as they are.
 */
export function tenantReader(store: Store, tenant: string | undefined): StoreReader {
  if (tenant === undefined) return store
  return {
    readings: (query: ReadingsQuery): Promise<StoredValue[]> => store.readings({ ...query, tags: { ...query.tags, tenant } }),
    points: (query: PointsQuery): Promise<Point[]> => store.points({ ...query, tags: { ...query.tags, tenant } }),
    latest: (selector: SeriesSelector): Promise<StoredValue[]> => store.latest({ ...selector, tags: { ...selector.tags, tenant } }),
  }
}
