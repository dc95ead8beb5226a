import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { Bus } from '../core/bus/bus.js'
import type { Config } from '../core/config.js'
import type { Counters } from '../core/counters.js'
import type { Logger } from '../core/logger.js'
import type { FileApiKeys } from '../core/registry/api-keys.js'
import type { AuditLog } from '../core/registry/audit-log.js'
import type { DeviceRegistry } from '../core/registry/registry.js'
import type { TenantPolicies } from '../core/registry/tenants.js'
import type { Store } from '../core/store/store.js'

export const apiCounterNames = ['requests', 'client_errors', 'server_errors'] as const
export type ApiCounter = (typeof apiCounterNames)[number]

/** What the API reads from; it owns none of it and closes none of it. */
export interface ApiDeps {
  readonly config: Config
  readonly registry: DeviceRegistry
  readonly store: Store
  /**
   * Probe of the bus for `/health`: whether it is reachable right now (the store answers its own
   * `ping`), and the pipeline's consumer groups that make no progress while records wait.
   */
  readonly health: { bus(): Promise<boolean>; stalledGroups?(): readonly { group: string; lag: number; since: number; stalledForMs: number }[] }
  readonly logger: Logger
  /** Counts requests and failed responses when given. */
  readonly counters?: Counters<ApiCounter>
  /** Every component's counters in this process, served at `/metrics` when given. */
  readonly pipelineCounters?: () => readonly Counters[]
  /** Where commands to processors go (alert acknowledgements); without it the API takes none. */
  readonly commands?: Pick<Bus, 'publish'>
  /** API keys, the audit log and tenant policies; opened from the files `config.auth` names when not given. */
  readonly keys?: FileApiKeys
  readonly audit?: AuditLog
  readonly tenants?: TenantPolicies
}

/** The dependencies with the security stores opened: what the routes receive. */
export interface RouteDeps extends ApiDeps {
  readonly keys: FileApiKeys
  readonly audit: AuditLog
  readonly tenants: TenantPolicies
}

/**
 * A Fastify instance whose route schemas are zod schemas, so requests and replies are typed from
 * them: what `buildApi` returns and what each route plugin declares its routes on.
 */
export type ZodScope = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>
