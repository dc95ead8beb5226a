import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { loadConfig, type Config } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import type { IncomingRecord } from '../../core/bus/bus.js'
import { pipelineTopics } from '../../core/bus/topics.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { generateSecret, hashSecret } from '../../core/registry/secret.js'
import type { Device } from '../../core/registry/device.js'
import type { DeviceKind, PayloadFormat } from '../../models/reading.js'

/**
 * A private corner of the shared services for one test file: its own Kafka topics, consumer
 * groups, InfluxDB database and registry file, so test files cannot see each other's data.
 */
export function isolatedConfig(overrides: Record<string, string> = {}): { config: Config; env: Record<string, string>; cleanup: () => void } {
  const id = randomBytes(4).toString('hex')
  const dir = mkdtempSync(join(tmpdir(), 'circular-test-'))
  const env: Record<string, string> = {
    CIRCULAR_LOG_LEVEL: process.env.CIRCULAR_TEST_LOG_LEVEL ?? 'warn',
    CIRCULAR_STATE_DIR: dir,
    KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`,
    KAFKA_CLIENT_ID: `test-${id}`,
    KAFKA_GROUP_PREFIX: `test-${id}`,
    KAFKA_SESSION_TIMEOUT_MS: '8000',
    TOPIC_RAW: `test.${id}.raw`,
    TOPIC_READINGS: `test.${id}.readings`,
    TOPIC_DEADLETTER: `test.${id}.deadletter`,
    TOPIC_FOOTPRINT_POINTS: `test.${id}.footprint-points`,
    TOPIC_FOOTPRINT_STATE: `test.${id}.footprint-state`,
    TOPIC_DEVICES: `test.${id}.devices`,
    TOPIC_DEVICE_STATUS: `test.${id}.device-status`,
    TOPIC_DEVICE_COMMANDS: `test.${id}.device-commands`,
    INFLUX_URL: process.env.INFLUX_URL ?? `http://127.0.0.1:${process.env.INFLUX_PORT ?? '8086'}`,
    INFLUX_DB: `test_${id}`,
    SINK_RETRY_MAX_MS: '1000',
    MQTT_PORT: '0',
    API_PORT: '0',
    // The tests' webhook and Open311 receivers listen on loopback, which delivery targets may not reach otherwise.
    ALERT_TARGETS_ALLOW: '127.0.0.1',
    ...overrides,
  }
  return { config: loadConfig(env), env, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export const testLogger = createLogger(process.env.CIRCULAR_TEST_LOG_LEVEL ?? 'warn', 'test')

export interface TestDevice {
  readonly device: Device
  readonly secret: string
}

export async function registerDevice(
  config: Config,
  fields: { id: string; kind?: DeviceKind; format?: PayloadFormat; tenant?: string; site?: string; entityId?: string; extra?: Partial<Device> },
): Promise<TestDevice> {
  const secret = generateSecret()
  const device: Device = {
    id: fields.id,
    tenant: fields.tenant ?? 'testcity',
    site: fields.site ?? 'depot-1',
    kind: fields.kind ?? 'waste_container',
    format: fields.format ?? 'auto',
    apiKey: fields.tenant ?? 'testcity',
    location: { type: 'Point', coordinates: [4.42173, 51.21301] },
    ...(fields.entityId !== undefined ? { entityId: fields.entityId } : {}),
    secretHash: await hashSecret(secret),
    createdAt: new Date().toISOString(),
    ...fields.extra,
  }
  new FileRegistry(config.registryFile).add(device)
  return { device, secret }
}

/** Reads a whole topic from the beginning with a fresh consumer group until `done` says enough. */
export async function collectTopic(config: Config, topic: string, done: (records: IncomingRecord[]) => boolean, timeoutMs = 20_000): Promise<IncomingRecord[]> {
  const bus = new KafkaBus(config.kafka, testLogger)
  await bus.ensureTopics(pipelineTopics(config.bus))
  const records: IncomingRecord[] = []
  const consumption = await bus.consume({
    groupId: `collector-${randomBytes(4).toString('hex')}`,
    topics: [topic],
    handleBatch: async (batch) => {
      records.push(...batch)
    },
  })
  try {
    await waitFor(() => done(records), timeoutMs, `records on ${topic}`)
    return records
  } finally {
    await consumption.stop()
    await bus.close()
  }
}

/** Creates the alert topics up front, so a collector can subscribe before the processor runs. */
export async function ensureAlertTopics(config: Config): Promise<void> {
  const bus = new KafkaBus(config.kafka, testLogger)
  await bus.ensureTopics(pipelineTopics(config.bus, config.alerts))
  await bus.close()
}

/** Polls until `check` is true (or returns a truthy value), failing with `what` after the timeout. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs: number, what: string): Promise<Exclude<T, undefined | null | false | 0 | ''>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value as Exclude<T, undefined | null | false | 0 | ''>
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Counts stored values of one field of one device straight from InfluxDB (v1 /query). */
export async function countStored(config: Config, measurement: string, field: string, deviceId: string): Promise<number> {
  const q = `SELECT count("${field}") FROM "${measurement}" WHERE "device" = '${deviceId}'`
  const response = await fetch(`${config.influx.url}/query?db=${encodeURIComponent(config.influx.database)}&q=${encodeURIComponent(q)}`)
  if (!response.ok) throw new Error(`InfluxDB answered ${response.status}`)
  const body = (await response.json()) as { results: { series?: { values: [string, number][] }[]; error?: string }[] }
  if (body.results[0]?.error) throw new Error(body.results[0].error)
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0
}

/** Sums stored values of one field, so a test can tell the right values from the right count. */
export async function sumStored(config: Config, measurement: string, field: string, deviceId: string): Promise<number> {
  const q = `SELECT sum("${field}") FROM "${measurement}" WHERE "device" = '${deviceId}'`
  const response = await fetch(`${config.influx.url}/query?db=${encodeURIComponent(config.influx.database)}&q=${encodeURIComponent(q)}`)
  const body = (await response.json()) as { results: { series?: { values: [string, number][] }[] }[] }
  return body.results[0]?.series?.[0]?.values[0]?.[1] ?? 0
}

/** Runs the project's service script (e.g. `down influxdb`), as an operator would. */
export function services(...args: string[]): void {
  execFileSync('bash', ['deploy/local/services.sh', ...args], { stdio: 'inherit' })
}

/** A SenML pack of `count` temperature readings one second apart, starting at `startSeconds`. */
export function temperaturePack(deviceId: string, startSeconds: number, count: number, valueOf: (i: number) => number): string {
  const records = Array.from({ length: count }, (_, i) => ({ n: 'temperature', u: 'Cel', t: i, v: valueOf(i) }))
  return JSON.stringify([{ bn: `urn:dev:${deviceId}:`, bt: startSeconds, ...records[0] }, ...records.slice(1)])
}
