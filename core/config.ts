import { isIP } from 'node:net'
import { z } from 'zod'
import { PlatformError } from '../models/errors.js'
import { defaultMaxRecordBytes } from './bus/record-size.js'

const port = z.coerce.number().int().min(0).max(65535)
const positiveInt = z.coerce.number().int().positive()
const list = z.string().transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0))
const topicName = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name: letters, digits, . _ -')
const optionalSecret = z.string().min(1).optional()
const optionalFile = z.string().min(1).optional()
const flag = z.enum(['true', 'false'], { error: 'true or false' }).transform((value) => value === 'true')

/** An entry of `ALERT_TARGETS_ALLOW`: an address, a CIDR block, or a host name (optionally `*.` for its subdomains). */
function isTargetAllowEntry(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/')
  const family = isIP(address ?? '')
  if (family !== 0) return rest.length === 0 && (prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)))
  return /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(entry)
}

/**
 * Every setting of the platform, read from environment variables once at start-up. Each key is
 * the variable's name, so a validation error names exactly what to fix.
 */
const environmentSchema = z.object({
  CIRCULAR_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CIRCULAR_STATE_DIR: z.string().min(1).default('.local'),
  REGISTRY_FILE: z.string().min(1).optional(),

  // Unset means the embedded bus: one process, no Kafka (see core/bus/embedded-bus.ts).
  KAFKA_BROKERS: list.pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).min(1)).optional(),
  EMBEDDED_BUS_RETENTION_MS: positiveInt.default(7 * 86_400_000),
  KAFKA_CLIENT_ID: z.string().min(1).default('circular'),
  KAFKA_GROUP_PREFIX: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'letters, digits, . _ -').default('circular'),
  KAFKA_TOPIC_PARTITIONS: positiveInt.default(3),
  KAFKA_REPLICATION_FACTOR: positiveInt.default(1),
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(10_000),
  KAFKA_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'letters, digits, . _ -').optional(),
  KAFKA_LINGER_MS: z.coerce.number().int().min(0).max(1000).default(2),
  KAFKA_BATCH_MAX: positiveInt.default(1000),
  KAFKA_FETCH_MIN_BYTES: positiveInt.default(64 * 1024),
  KAFKA_FETCH_MAX_WAIT_MS: z.coerce.number().int().min(0).max(10_000).default(20),
  TOPIC_RAW: topicName.default('telemetry.raw'),
  TOPIC_READINGS: topicName.default('telemetry.readings'),
  TOPIC_DEADLETTER: topicName.default('telemetry.deadletter'),
  TOPIC_FOOTPRINT_POINTS: topicName.default('footprint.points'),
  TOPIC_FOOTPRINT_STATE: topicName.default('footprint.state'),
  TOPIC_DEVICES: topicName.default('registry.devices'),
  TOPIC_DEVICE_STATUS: topicName.default('devices.status'),
  TOPIC_DEVICE_COMMANDS: topicName.default('devices.commands'),
  REGISTRY_MIRROR_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  FOOTPRINT_ALLOWED_LATENESS_MS: z.coerce.number().int().min(0).default(2 * 86_400_000),
  FOOTPRINT_DEFAULT_COUNTRY: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2, e.g. BE').default('BE'),
  FACTOR_SETS_DIR: z.string().min(1).optional(),
  TOPIC_ALERTS: topicName.default('alerts'),
  TOPIC_ALERTS_STATE: topicName.default('alerts.state'),
  TOPIC_ALERT_COMMANDS: topicName.default('alerts.commands'),
  TOPIC_ALERT_SITE_FLOWS: topicName.default('alerts.site-flows'),
  ALERT_RULES_FILE: z.string().min(1).optional(),
  TOPIC_ALERT_DELIVERIES: topicName.default('alerts.deliveries'),
  ALERT_DELIVERY_TIMEOUT_MS: positiveInt.default(5000),
  ALERT_DELIVERY_MAX_ATTEMPTS: positiveInt.default(8),
  ALERT_DELIVERY_BACKOFF_MS: positiveInt.default(500),
  ALERT_DELIVERY_BACKOFF_MAX_MS: positiveInt.default(60_000),
  ALERT_OPEN311_POLL_MS: positiveInt.default(60_000),
  ALERT_TARGETS_ALLOW: list.pipe(z.array(z.string().refine(isTargetAllowEntry, 'a CIDR (10.1.0.0/16, fd00::/8), an address, or a host name (hooks.city.internal, *.city.internal)'))).default([]),
  ALERT_SILENCE_CHECK_MS: positiveInt.default(60_000),
  ALERT_GROUPS_START_AT: z.enum(['latest', 'earliest']).default('latest'),
  ALERT_DELIVERY_MAX_AGE_MS: positiveInt.default(86_400_000),
  ALERT_PROCESSOR_GROUP: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'letters, digits, . _ -').optional(),
  ALERT_NOTIFIER_GROUP: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'letters, digits, . _ -').optional(),
  HEALTH_REPORT_INTERVAL_MS: z.coerce.number().int().min(1000).default(15_000),
  HEALTH_INVENTORY_INTERVAL_MS: z.coerce.number().int().min(60_000).default(3_600_000),
  HEALTH_GROUP_STALL_MS: z.coerce.number().int().min(1000).default(30_000),

  // Unset means the embedded store: a SQLite file in the state directory, no InfluxDB.
  INFLUX_URL: z.url().optional(),
  INFLUX_DB: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -').default('circular'),
  INFLUX_USERNAME: optionalSecret,
  INFLUX_PASSWORD: optionalSecret,
  INFLUX_TOKEN: optionalSecret,
  INFLUX_TIMEOUT_MS: positiveInt.default(10_000),

  MQTT_HOST: z.string().min(1).default('127.0.0.1'),
  MQTT_PORT: port.optional(),
  MQTT_MAX_PAYLOAD_BYTES: positiveInt.default(256 * 1024),
  MQTT_MAX_SESSIONS_PER_DEVICE: positiveInt.max(1000).default(1),
  MQTT_SESSION_STORE: z.enum(['memory', 'redis']).default('memory'),
  MQTT_REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// URL, e.g. redis://127.0.0.1:6379/0' }).default('redis://127.0.0.1:6379/0'),
  MQTT_SESSION_MESSAGE_TTL_S: positiveInt.max(30 * 86_400).default(7 * 86_400),
  /** Default: four times MQTT_MAX_PAYLOAD_BYTES, plus room for topic and header. */
  MQTT_MAX_PACKET_BYTES: positiveInt.optional(),
  BUS_MAX_RECORD_BYTES: positiveInt.default(defaultMaxRecordBytes),

  BRIDGE_MQTT_URL: z.string().regex(/^mqtts?:\/\/.+/, 'mqtt://host:port or mqtts://host:port').default('mqtt://127.0.0.1:1883'),
  BRIDGE_CLIENT_ID: z.string().min(1).default('circular-bridge'),
  BRIDGE_USERNAME: optionalSecret,
  BRIDGE_PASSWORD: optionalSecret,
  BRIDGE_SHARE_GROUP: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (an MQTT shared subscription group)').optional(),

  // Default 5000 for InfluxDB; 1000 for the embedded store, whose writes block the one process while they run.
  SINK_BATCH_MAX: positiveInt.optional(),
  SINK_RETRY_MAX_MS: positiveInt.default(10_000),
  MAX_FUTURE_SKEW_MS: z.coerce.number().int().min(0).default(5 * 60_000),

  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(8080),

  // Security: API keys, audit log, tenant limits and data-sharing policy, OIDC, TLS, Kafka SASL.
  API_TLS_CERT_FILE: optionalFile,
  API_TLS_KEY_FILE: optionalFile,
  API_RATE_LIMIT_PER_MINUTE: positiveInt.default(600),
  API_KEYS_FILE: optionalFile,
  AUDIT_LOG_FILE: optionalFile,
  TENANTS_FILE: optionalFile,
  OIDC_ISSUER: z.url().optional(),
  OIDC_AUDIENCE: z.string().min(1).optional(),
  OIDC_JWKS_URL: z.url().optional(),
  OIDC_TENANT_CLAIM: z.string().min(1).default('tenant'),
  OIDC_ROLE_CLAIM: z.string().min(1).default('role'),
  OIDC_PLATFORM_TENANT: z.string().min(1).optional(),
  MQTT_PLAIN: flag.default(true),
  MQTT_TLS_PORT: port.default(8883),
  /** MQTT over WebSocket (`ws://…/mqtt`); off unless set. */
  MQTT_WS_PORT: port.optional(),
  /** MQTT over secure WebSocket (`wss://…/mqtt`) with the MQTT TLS certificate; off unless set. */
  MQTT_WSS_PORT: port.optional(),
  MQTT_TLS_CERT_FILE: optionalFile,
  MQTT_TLS_KEY_FILE: optionalFile,
  MQTT_TLS_CA_FILE: optionalFile,
  MQTT_TLS_CLIENT_CERTS: z.enum(['off', 'optional', 'required']).default('off'),
  KAFKA_SSL: flag.default(false),
  KAFKA_SSL_CA_FILE: optionalFile,
  KAFKA_SASL_MECHANISM: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional(),
  KAFKA_SASL_USERNAME: optionalSecret,
  KAFKA_SASL_PASSWORD: optionalSecret,
})

export type Environment = z.infer<typeof environmentSchema>

/** Kafka when brokers are configured; otherwise an embedded log in one SQLite file, for one process. */
export type BusChoice = { readonly kind: 'kafka' } | { readonly kind: 'embedded'; readonly path: string; readonly retentionMs: number }

/** The pipeline's topics, on whichever bus is in use. */
export interface BusTopics {
  readonly raw: string
  readonly readings: string
  readonly deadLetter: string
  /** Rollup and event points computed by the footprint processor, written by the sink. */
  readonly footprintPoints: string
  /** Compacted changelog of the footprint processor's per-device state. */
  readonly footprintState: string
  /**
   * Compacted: the registered devices, one record per device keyed by its id, a tombstone once it
   * is removed; the processors forget a removed device's state when its tombstone reaches them.
   */
  readonly devices: string
  /** The brokers' connection events (a device session began or ended), keyed by device. */
  readonly deviceStatus: string
  /** Commands to devices and what became of them (pending, delivered, answered), keyed by device. */
  readonly deviceCommands: string
}

/** The bus in use and what every implementation of it is configured with. */
export type BusConfig = BusChoice & {
  readonly topics: BusTopics
  /** Consumer groups are `<prefix>-<role>`; separate deployments on one bus need separate prefixes. */
  readonly groupPrefix: string
  readonly partitions: number
  /** Largest record (key, value and headers) a component hands to the bus; larger ones are split or refused first. */
  readonly maxRecordBytes: number
}
/** InfluxDB when a URL is configured; otherwise an embedded SQLite store. */
export type StoreChoice = { readonly kind: 'influxdb' } | { readonly kind: 'embedded'; readonly path: string }

export interface Config {
  readonly logLevel: Environment['CIRCULAR_LOG_LEVEL']
  readonly bus: BusConfig
  readonly store: StoreChoice
  readonly stateDir: string
  readonly registryFile: string
  /** How often the registry is compared with the devices topic (`bus.topics.devices`), which mirrors it. */
  readonly registryMirrorIntervalMs: number
  /** Settings of the Kafka bus only; the embedded bus ignores them. */
  readonly kafka: {
    /** Empty when the embedded bus is used. */
    readonly brokers: readonly string[]
    readonly clientId: string
    readonly replicationFactor: number
    /** Group session timeout; a crashed consumer's partitions move to the others after this long. */
    readonly sessionTimeoutMs: number
    /**
     * Static group membership (KIP-345): this process's name in every group it joins, the same
     * across its restarts and unique among running processes; a restarted process takes its
     * partitions back at once instead of after the session timeout. Unset: dynamic membership.
     */
    readonly instanceId?: string
    readonly lingerMs: number
    readonly batchMax: number
    /**
     * A consumer's fetch returns once this many bytes are there or the wait is over: at low rates
     * records come in batches of up to the wait instead of one by one, which halves the CPU per
     * record of the processors (and of InfluxDB) for a few milliseconds of latency.
     */
    readonly fetchMinBytes: number
    readonly fetchMaxWaitMs: number
    /** TLS to the brokers; `caFile` when their certificates come from a private CA. */
    readonly ssl?: { readonly caFile?: string }
    readonly sasl?: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string }
  }
  readonly influx: {
    readonly url: string
    readonly database: string
    readonly username?: string
    readonly password?: string
    readonly token?: string
    readonly timeoutMs: number
  }
  readonly mqtt: {
    readonly host: string
    /** Port for the broker; undefined means 1883, or a free port when 1883 is taken. */
    readonly port?: number
    readonly maxPayloadBytes: number
    /**
     * The hard cap: a packet announcing more closes the connection before it is read. Between the
     * payload limit and this, a publish is acknowledged and dead-lettered with its first bytes.
     */
    readonly maxPacketBytes: number
    /** Connections one device may hold at once (client ids `<id>` and `<id>:…`); one more takes over the oldest. */
    readonly maxSessionsPerDevice: number
    /**
     * Where MQTT sessions (subscriptions of clean-session-false clients, their queued messages)
     * are kept: this process's memory, or Redis, shared by broker instances and kept across restarts.
     */
    readonly sessionStore: { readonly kind: 'memory' } | { readonly kind: 'redis'; readonly url: string; readonly messageTtlSeconds: number }
    /** MQTT over WebSocket on this port (path `/mqtt`), with the same authentication and topic checks. */
    readonly wsPort?: number
    /** MQTT over secure WebSocket on this port, with the TLS listener's certificate. */
    readonly wssPort?: number
    /** Whether the plain-text listener runs; production deployments turn it off and use `tls`. */
    readonly plain: boolean
    readonly tls?: {
      readonly port: number
      readonly certFile: string
      readonly keyFile: string
      /** CA that signs device certificates; needed for client-certificate authentication. */
      readonly caFile?: string
      /** `optional`: a device may log in with a certificate (CN = device id) or its secret; `required`: certificates only. */
      readonly clientCerts: 'off' | 'optional' | 'required'
    }
  }
  readonly bridge: {
    readonly url: string
    readonly clientId: string
    readonly username?: string
    readonly password?: string
    /** Bridges with the same group share one MQTT shared subscription: each message goes to one of them. */
    readonly shareGroup?: string
  }
  readonly sink: { readonly batchMax: number; readonly retryMaxMs: number }
  readonly normaliser: { readonly maxFutureSkewMs: number }
  readonly footprint: {
    /** How long after a device's newest reading an older one still corrects its rollups. */
    readonly allowedLatenessMs: number
    /** Country whose grid factor applies when a site has none configured. */
    readonly defaultCountry: string
    /** Extra factor-set files (`<version>.json`) besides the built-in ones. */
    readonly factorSetsDir?: string
  }
  readonly api: {
    readonly host: string
    readonly port: number
    /** HTTPS when set. */
    readonly tls?: { readonly certFile: string; readonly keyFile: string }
    /** Requests per minute per API key (or per address for anonymous callers). */
    readonly rateLimitPerMinute: number
  }
  readonly auth: {
    /** Hashed API keys (JSON). */
    readonly apiKeysFile: string
    /** Append-only JSON lines of admin actions. */
    readonly auditLogFile: string
    /** Per-tenant limits and data-sharing policy (JSON); built-in defaults when the file is absent. */
    readonly tenantsFile: string
    /** Bearer tokens from an OpenID Connect issuer, verified against its JWKS. */
    readonly oidc?: {
      readonly issuer: string
      readonly audience: string
      readonly jwksUrl: string
      readonly tenantClaim: string
      readonly roleClaim: string
      /** A token whose tenant claim has this value is a platform admin (only with the admin role). */
      readonly platformTenant?: string
    }
  }
  readonly alerts: {
    /** JSON rules file, reloaded when it changes; `ALERT_RULES_FILE`, else `alert-rules.json` in the state directory. */
    readonly rulesFile: string
    /** Whether `ALERT_RULES_FILE` named it: then a missing file stops the start; the default file may be absent (built-in rules). */
    readonly rulesFileRequired: boolean
    /** How often the processor looks for devices that have gone silent. */
    readonly silenceCheckMs: number
    /** Kafka consumer groups of the alerts processor and the notifier. */
    readonly groups: { readonly processor: string; readonly notifier: string }
    /**
     * Where the alerts processor's and the notifier's groups start when they have committed
     * nothing yet: `latest`, so that adding them to a running city raises and sends nothing
     * about the past; `earliest` to work through everything retained.
     */
    readonly startAt: 'latest' | 'earliest'
    readonly topics: {
      /** Alert lifecycle events (firing, acknowledged, resolved), keyed by alert id. */
      readonly events: string
      /** Compacted changelog of the alerts processor's per-device state. */
      readonly state: string
      /** Commands to the alerts processor (acknowledgements), keyed by device so they keep their order with its readings. */
      readonly commands: string
      /** Weighings and container weights re-keyed by site, for the mass balance of each site. */
      readonly siteFlows: string
      /** Compacted outbox of the notifier: per (subscriber, alert, phase) the attempts and whether it was delivered. */
      readonly deliveries: string
    }
    readonly delivery: {
      /** How long one delivery attempt may take. */
      readonly timeoutMs: number
      /** Transitions put on the bus longer ago than this are not sent (a notifier catching up after a long outage). */
      readonly maxAgeMs: number
      /** Attempts before a delivery goes to the dead-letter topic. */
      readonly maxAttempts: number
      /** Backoff before the second attempt, doubled each time up to the maximum, with jitter. */
      readonly backoffMs: number
      readonly backoffMaxMs: number
      /** How often open Open311 service requests are checked for closure. */
      readonly open311PollMs: number
      /**
       * Addresses (CIDR blocks) and host names that webhooks and Open311 endpoints may reach although
       * they are loopback, private, link-local or otherwise special-purpose (`ALERT_TARGETS_ALLOW`).
       */
      readonly targetsAllow: readonly string[]
    }
  }
  readonly health: {
    /** How often counters, consumer lag and end-to-end delays are written to the store. */
    readonly reportIntervalMs: number
    /** How often the device registry is written to the store (for maps and completeness). */
    readonly inventoryIntervalMs: number
    /** A consumer group whose position has not grown for this long while records wait is reported stalled by `/health`. */
    readonly groupStallMs: number
  }
}

/**
 * Parses the environment into a frozen config. Nothing else in the platform reads
 * `process.env`; components receive the parts of this object they need.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = environmentSchema.safeParse(withoutEmptyValues(env))
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
    throw new PlatformError('CONFIG_INVALID', `invalid configuration: ${problems.join('; ')}`, { problems })
  }
  const e = parsed.data
  const pairingProblems = settingPairingProblems(e)
  if (pairingProblems.length > 0) throw new PlatformError('CONFIG_INVALID', `invalid configuration: ${pairingProblems.join('; ')}`, { problems: pairingProblems })
  return deepFreeze<Config>({
    logLevel: e.CIRCULAR_LOG_LEVEL,
    bus: {
      ...(e.KAFKA_BROKERS ? { kind: 'kafka' as const } : { kind: 'embedded' as const, path: `${e.CIRCULAR_STATE_DIR}/bus.sqlite`, retentionMs: e.EMBEDDED_BUS_RETENTION_MS }),
      groupPrefix: e.KAFKA_GROUP_PREFIX,
      partitions: e.KAFKA_TOPIC_PARTITIONS,
      maxRecordBytes: e.BUS_MAX_RECORD_BYTES,
      topics: {
        raw: e.TOPIC_RAW,
        readings: e.TOPIC_READINGS,
        deadLetter: e.TOPIC_DEADLETTER,
        footprintPoints: e.TOPIC_FOOTPRINT_POINTS,
        footprintState: e.TOPIC_FOOTPRINT_STATE,
        devices: e.TOPIC_DEVICES,
        deviceStatus: e.TOPIC_DEVICE_STATUS,
        deviceCommands: e.TOPIC_DEVICE_COMMANDS,
      },
    },
    store: e.INFLUX_URL ? { kind: 'influxdb' } : { kind: 'embedded', path: `${e.CIRCULAR_STATE_DIR}/store.sqlite` },
    stateDir: e.CIRCULAR_STATE_DIR,
    registryFile: e.REGISTRY_FILE ?? `${e.CIRCULAR_STATE_DIR}/registry.json`,
    registryMirrorIntervalMs: e.REGISTRY_MIRROR_INTERVAL_MS,
    kafka: {
      brokers: e.KAFKA_BROKERS ?? [],
      clientId: e.KAFKA_CLIENT_ID,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
      sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
      instanceId: e.KAFKA_INSTANCE_ID,
      lingerMs: e.KAFKA_LINGER_MS,
      batchMax: e.KAFKA_BATCH_MAX,
      fetchMinBytes: e.KAFKA_FETCH_MIN_BYTES,
      fetchMaxWaitMs: e.KAFKA_FETCH_MAX_WAIT_MS,
      ssl: e.KAFKA_SSL ? { caFile: e.KAFKA_SSL_CA_FILE } : undefined,
      sasl: e.KAFKA_SASL_MECHANISM ? { mechanism: e.KAFKA_SASL_MECHANISM, username: e.KAFKA_SASL_USERNAME ?? '', password: e.KAFKA_SASL_PASSWORD ?? '' } : undefined,
    },
    influx: {
      url: (e.INFLUX_URL ?? 'http://127.0.0.1:8086').replace(/\/+$/, ''),
      database: e.INFLUX_DB,
      username: e.INFLUX_USERNAME,
      password: e.INFLUX_PASSWORD,
      token: e.INFLUX_TOKEN,
      timeoutMs: e.INFLUX_TIMEOUT_MS,
    },
    mqtt: {
      host: e.MQTT_HOST,
      port: e.MQTT_PORT,
      maxPayloadBytes: e.MQTT_MAX_PAYLOAD_BYTES,
      maxPacketBytes: e.MQTT_MAX_PACKET_BYTES ?? 4 * e.MQTT_MAX_PAYLOAD_BYTES + mqttPacketOverheadBytes,
      maxSessionsPerDevice: e.MQTT_MAX_SESSIONS_PER_DEVICE,
      sessionStore: e.MQTT_SESSION_STORE === 'redis' ? { kind: 'redis', url: e.MQTT_REDIS_URL, messageTtlSeconds: e.MQTT_SESSION_MESSAGE_TTL_S } : { kind: 'memory' },
      ...(e.MQTT_WS_PORT !== undefined ? { wsPort: e.MQTT_WS_PORT } : {}),
      ...(e.MQTT_WSS_PORT !== undefined ? { wssPort: e.MQTT_WSS_PORT } : {}),
      plain: e.MQTT_PLAIN,
      tls:
        e.MQTT_TLS_CERT_FILE && e.MQTT_TLS_KEY_FILE
          ? { port: e.MQTT_TLS_PORT, certFile: e.MQTT_TLS_CERT_FILE, keyFile: e.MQTT_TLS_KEY_FILE, caFile: e.MQTT_TLS_CA_FILE, clientCerts: e.MQTT_TLS_CLIENT_CERTS }
          : undefined,
    },
    bridge: { url: e.BRIDGE_MQTT_URL, clientId: e.BRIDGE_CLIENT_ID, username: e.BRIDGE_USERNAME, password: e.BRIDGE_PASSWORD, shareGroup: e.BRIDGE_SHARE_GROUP },
    sink: { batchMax: e.SINK_BATCH_MAX ?? (e.INFLUX_URL ? 5000 : 1000), retryMaxMs: e.SINK_RETRY_MAX_MS },
    normaliser: { maxFutureSkewMs: e.MAX_FUTURE_SKEW_MS },
    footprint: { allowedLatenessMs: e.FOOTPRINT_ALLOWED_LATENESS_MS, defaultCountry: e.FOOTPRINT_DEFAULT_COUNTRY, factorSetsDir: e.FACTOR_SETS_DIR },
    api: {
      host: e.API_HOST,
      port: e.API_PORT,
      tls: e.API_TLS_CERT_FILE && e.API_TLS_KEY_FILE ? { certFile: e.API_TLS_CERT_FILE, keyFile: e.API_TLS_KEY_FILE } : undefined,
      rateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
    },
    auth: {
      apiKeysFile: e.API_KEYS_FILE ?? `${e.CIRCULAR_STATE_DIR}/api-keys.json`,
      auditLogFile: e.AUDIT_LOG_FILE ?? `${e.CIRCULAR_STATE_DIR}/audit.jsonl`,
      tenantsFile: e.TENANTS_FILE ?? `${e.CIRCULAR_STATE_DIR}/tenants.json`,
      oidc:
        e.OIDC_ISSUER && e.OIDC_AUDIENCE && e.OIDC_JWKS_URL
          ? { issuer: e.OIDC_ISSUER, audience: e.OIDC_AUDIENCE, jwksUrl: e.OIDC_JWKS_URL, tenantClaim: e.OIDC_TENANT_CLAIM, roleClaim: e.OIDC_ROLE_CLAIM, platformTenant: e.OIDC_PLATFORM_TENANT }
          : undefined,
    },
    alerts: {
      rulesFile: e.ALERT_RULES_FILE ?? `${e.CIRCULAR_STATE_DIR}/alert-rules.json`,
      rulesFileRequired: e.ALERT_RULES_FILE !== undefined,
      silenceCheckMs: e.ALERT_SILENCE_CHECK_MS,
      groups: { processor: e.ALERT_PROCESSOR_GROUP ?? `${e.KAFKA_GROUP_PREFIX}-alerts`, notifier: e.ALERT_NOTIFIER_GROUP ?? `${e.KAFKA_GROUP_PREFIX}-alert-notifier` },
      startAt: e.ALERT_GROUPS_START_AT,
      topics: { events: e.TOPIC_ALERTS, state: e.TOPIC_ALERTS_STATE, commands: e.TOPIC_ALERT_COMMANDS, siteFlows: e.TOPIC_ALERT_SITE_FLOWS, deliveries: e.TOPIC_ALERT_DELIVERIES },
      delivery: { timeoutMs: e.ALERT_DELIVERY_TIMEOUT_MS, maxAgeMs: e.ALERT_DELIVERY_MAX_AGE_MS, maxAttempts: e.ALERT_DELIVERY_MAX_ATTEMPTS, backoffMs: e.ALERT_DELIVERY_BACKOFF_MS, backoffMaxMs: e.ALERT_DELIVERY_BACKOFF_MAX_MS, open311PollMs: e.ALERT_OPEN311_POLL_MS, targetsAllow: e.ALERT_TARGETS_ALLOW },
    },
    health: { reportIntervalMs: e.HEALTH_REPORT_INTERVAL_MS, inventoryIntervalMs: e.HEALTH_INVENTORY_INTERVAL_MS, groupStallMs: e.HEALTH_GROUP_STALL_MS },
  })
}

/** Settings that only make sense together, each problem naming the variables to fix. */
function settingPairingProblems(e: Environment): string[] {
  const problems: string[] = []
  const together = (names: (keyof Environment)[]): void => {
    const set = names.filter((name) => e[name] !== undefined)
    if (set.length > 0 && set.length < names.length) problems.push(`${names.join(', ')}: set all of them or none (only ${set.join(', ')} is set)`)
  }
  together(['MQTT_TLS_CERT_FILE', 'MQTT_TLS_KEY_FILE'])
  together(['API_TLS_CERT_FILE', 'API_TLS_KEY_FILE'])
  together(['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'])
  together(['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'])
  if (!e.MQTT_PLAIN && e.MQTT_TLS_CERT_FILE === undefined) problems.push('MQTT_PLAIN: false needs MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE, or devices could not connect at all')
  if (e.MQTT_WSS_PORT !== undefined && e.MQTT_TLS_CERT_FILE === undefined) problems.push('MQTT_WSS_PORT: needs MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE, the certificate it serves')
  if (e.MQTT_TLS_CLIENT_CERTS !== 'off' && e.MQTT_TLS_CA_FILE === undefined) problems.push('MQTT_TLS_CLIENT_CERTS: needs MQTT_TLS_CA_FILE, the CA that signs device certificates')
  // A raw record is the payload as it came, with the MQTT topic and the ingest headers beside it.
  if (e.MQTT_MAX_PAYLOAD_BYTES + rawRecordAllowanceBytes > e.BUS_MAX_RECORD_BYTES) {
    problems.push(`MQTT_MAX_PAYLOAD_BYTES: ${e.MQTT_MAX_PAYLOAD_BYTES} bytes of payload and up to ${rawRecordAllowanceBytes} bytes of topic and headers do not fit in a bus record of BUS_MAX_RECORD_BYTES (${e.BUS_MAX_RECORD_BYTES}); lower the one or raise the other`)
  }
  if (e.MQTT_MAX_PACKET_BYTES !== undefined && e.MQTT_MAX_PACKET_BYTES < e.MQTT_MAX_PAYLOAD_BYTES + mqttPacketOverheadBytes) {
    problems.push(`MQTT_MAX_PACKET_BYTES: ${e.MQTT_MAX_PACKET_BYTES} bytes leave no room for a payload of MQTT_MAX_PAYLOAD_BYTES (${e.MQTT_MAX_PAYLOAD_BYTES}) and ${mqttPacketOverheadBytes} bytes of topic and header; raise it or leave it unset`)
  }
  return problems
}

/**
 * Room for what an MQTT packet carries besides a publish's payload: the topic (at most a few
 * hundred bytes in the topic scheme), the packet id, a CONNECT's client id, user name and secret.
 */
export const mqttPacketOverheadBytes = 4096

/** What a raw record holds besides the payload: the MQTT topic (the broker lets 4 KiB of packet through besides the payload) and the ingest headers. */
const rawRecordAllowanceBytes = 8 * 1024

/** An empty variable (`FOO=`) means "not set", as in most shells' intent. */
function withoutEmptyValues(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') out[key] = value
  return out
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
