/**
 * `npm run bench -- --connect-storm`: a fleet reconnecting at once, as after a broker restart,
 * while a flood of wrong secrets for one known device id (not one of the fleet) runs beside it,
 * from another address (127.0.0.2). Raw MQTT 3.1.1 CONNECTs over TCP from this process (many at a
 * time, each connection kept open until the whole fleet is in); the broker runs in its own process. Reported per path: the time until every legitimate
 * device is connected, CONNECT→CONNACK latency percentiles, and how the flood was answered.
 *
 * Paths, in the same run:
 * - the platform's broker, without the flood and with it (bench/e2e/bare-broker.ts: authentication, tenant limits and topic
 *   checks as in `circular broker`, publishes handed to nothing) with secrets as registered now
 *   (HMAC-SHA256);
 * - the same broker with the scrypt hashes registries held before (a smaller fleet: each device
 *   costs a slow check once, about 95 ms of CPU);
 * - a private Mosquitto with anonymous clients: what CONNECT handling costs without any secret
 *   check, the ceiling the others are read against (no flood: it checks nothing).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect as connectTcp, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { registryFile, type Device } from '../core/registry/device.js'
import { generateSecret, hashSecret, hashSecretWithScrypt } from '../core/registry/secret.js'
import { connectPacket } from '../test/support/mqtt-packets.js'
import { freePort, startMosquitto } from './e2e/mosquitto.js'
import { startComponent } from './e2e/processes.js'
import { describeMachine, type Machine } from './report/machine.js'
import { Histogram, round, type Percentiles } from './stats.js'

/** Where the flood comes from: another loopback address, as an attacker's would differ from the fleet's. */
const floodAddress = '127.0.0.2'

export interface StormSettings {
  readonly devices: number
  /** Devices of the scrypt path. */
  readonly scryptDevices: number
  readonly wrongSecrets: number
  /** CONNECTs in flight at once (legitimate and flood each). */
  readonly concurrency: number
}

export interface StormPath {
  readonly path: string
  readonly devices: number
  readonly allConnectedSeconds: number
  readonly connectMs: Percentiles | undefined
  readonly refusedLegitimate: number
  readonly flood?: { readonly attempts: number; readonly seconds: number; readonly answers: Record<string, number> }
}

export interface StormResult {
  readonly machine: Machine
  readonly settings: StormSettings
  readonly paths: readonly StormPath[]
}

export async function runConnectStorm(log: (line: string) => void, settings: StormSettings): Promise<StormResult> {
  const machine = await describeMachine()
  const dir = mkdtempSync(join(tmpdir(), 'circular-storm-'))
  const paths: StormPath[] = []
  try {
    for (const [path, count, hash, flooded] of [
      ['platform broker, HMAC-SHA256 secrets, no flood', settings.devices, hashSecret, false],
      ['platform broker, HMAC-SHA256 secrets', settings.devices, hashSecret, true],
      ['platform broker, scrypt secrets (registered before)', settings.scryptDevices, hashSecretWithScrypt, true],
    ] as const) {
      const secret = generateSecret()
      const fleet = Array.from({ length: count }, (_, i) => `storm-${String(i).padStart(5, '0')}`)
      log(`${path}: hashing ${count} secrets`)
      const hashes = await Promise.all([...fleet, 'storm-target'].map(() => hash(secret)))
      const runDir = join(dir, String(paths.length))
      mkdirSync(runDir, { recursive: true })
      // The flood's target is registered like the fleet, and is not one of it.
      const devices: Device[] = [...fleet, 'storm-target'].map((id, i) => ({ id, tenant: 'storm', site: 'storm-site', kind: 'waste_container', format: 'senml', apiKey: 'storm', secretHash: hashes[i]!, createdAt: new Date().toISOString() }))
      writeFileSync(join(runDir, 'registry.json'), JSON.stringify(registryFile.parse({ version: 1, devices })))
      writeFileSync(join(runDir, 'tenants.json'), JSON.stringify({ version: 1, tenants: { storm: { limits: { maxDevices: count + 1 } } } }))
      const port = await freePort()
      const broker = await startComponent('storm-broker', ['--import', 'tsx', 'bench/e2e/bare-broker.ts'], { CIRCULAR_STATE_DIR: runDir, REGISTRY_FILE: join(runDir, 'registry.json'), TENANTS_FILE: join(runDir, 'tenants.json'), MQTT_PORT: String(port), CIRCULAR_LOG_LEVEL: 'info' }, runDir, 60_000, { ready: /bare broker running/ })
      try {
        log(`${path}: ${count} devices reconnecting${flooded ? `, ${settings.wrongSecrets} wrong secrets for storm-target beside them` : ''}`)
        const flood = flooded ? floodOf(port, 'storm-target', settings) : undefined
        const storm = await stormOf(port, fleet, secret, settings.concurrency)
        const floodResult = await flood
        paths.push({ path, devices: count, ...storm, ...(floodResult ? { flood: floodResult } : {}) })
      } finally {
        await broker.stop()
      }
    }
    const port = await freePort()
    const mosquitto = await startMosquitto(port, dir)
    try {
      const fleet = Array.from({ length: settings.devices }, (_, i) => `storm-${String(i).padStart(5, '0')}`)
      log(`Mosquitto, anonymous: ${fleet.length} devices reconnecting`)
      paths.push({ path: 'Mosquitto, anonymous (no secret checked)', devices: fleet.length, ...(await stormOf(port, fleet, '', settings.concurrency)) })
    } finally {
      await mosquitto.stop()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return { machine, settings, paths }
}

/** Every device connects once, `concurrency` at a time; connections stay open until all are in. */
async function stormOf(port: number, fleet: readonly string[], secret: string, concurrency: number): Promise<Omit<StormPath, 'path' | 'devices' | 'flood'>> {
  const latency = new Histogram()
  const open: Socket[] = []
  let refused = 0
  let next = 0
  const started = performance.now()
  const worker = async (): Promise<void> => {
    while (next < fleet.length) {
      const id = fleet[next++]!
      const { code, ms, socket } = await connectOnce(port, id, secret)
      latency.record(ms)
      if (code === 0) open.push(socket)
      else {
        refused++
        socket.destroy()
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const allConnectedSeconds = round((performance.now() - started) / 1000, 2)
  for (const socket of open) socket.destroy()
  return { allConnectedSeconds, connectMs: latency.summary(), refusedLegitimate: refused }
}

async function floodOf(port: number, deviceId: string, settings: StormSettings): Promise<StormPath['flood']> {
  const answers: Record<string, number> = {}
  let sent = 0
  const started = performance.now()
  const worker = async (): Promise<void> => {
    while (sent < settings.wrongSecrets) {
      sent++
      const { code, socket } = await connectOnce(port, deviceId, `wrong-${generateSecret()}`, floodAddress)
      socket.destroy()
      const answer = code === -1 ? 'no answer' : `CONNACK ${code}`
      answers[answer] = (answers[answer] ?? 0) + 1
    }
  }
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, settings.wrongSecrets) }, worker))
  return { attempts: settings.wrongSecrets, seconds: round((performance.now() - started) / 1000, 2), answers }
}

/** One CONNECT; resolves with the CONNACK's return code (-1: closed without one) and the time it took. */
function connectOnce(port: number, id: string, secret: string, localAddress?: string): Promise<{ code: number; ms: number; socket: Socket }> {
  return new Promise((resolve) => {
    const started = performance.now()
    const socket = connectTcp({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) })
    const end = (code: number): void => resolve({ code, ms: performance.now() - started, socket })
    socket.once('connect', () => socket.write(secret === '' ? anonymousConnect(id) : connectPacket({ clientId: id, username: id, password: secret })))
    socket.once('data', (chunk: Buffer) => end(chunk[0] === 0x20 && chunk.length >= 4 ? chunk[3]! : -1))
    socket.once('close', () => end(-1))
    socket.once('error', () => end(-1))
  })
}

/** A CONNECT without user name and password (Mosquitto's anonymous listener). */
function anonymousConnect(id: string): Buffer {
  const text = (s: string): Buffer => Buffer.concat([Buffer.from([0, Buffer.byteLength(s)]), Buffer.from(s)])
  const body = Buffer.concat([text('MQTT'), Buffer.from([4, 0x02, 0, 60]), text(id)])
  return Buffer.concat([Buffer.from([0x10, body.length]), body])
}

export function connectStormMarkdown(result: StormResult): string {
  const { machine, settings } = result
  const ceiling = result.paths.find((p) => p.path.startsWith('Mosquitto'))
  const lines = [
    '# Connect storm',
    '',
    `Machine: ${machine.cores} cores, ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.versions.node}, aedes ${machine.versions.aedes}, Mosquitto ${machine.versions.mosquitto}.`,
    `Settings: ${settings.concurrency} CONNECTs in flight at once; ${settings.wrongSecrets} wrong secrets for one known device id beside the fleet on the platform paths; loopback TCP, MQTT 3.1.1, connections held open until the whole fleet is in.`,
    '',
    '| path | devices | all connected (s) | devices/s | ÷ Mosquitto | CONNECT p50 / p99 (ms) | legitimate refused | flood: seconds, answers |',
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const p of result.paths) {
    const rate = p.devices / p.allConnectedSeconds
    const ratio = ceiling ? round(rate / (ceiling.devices / ceiling.allConnectedSeconds), 2) : undefined
    const flood = p.flood ? `${p.flood.seconds}, ${Object.entries(p.flood.answers).map(([k, n]) => `${n} × ${k}`).join(', ')}` : '—'
    lines.push(`| ${p.path} | ${p.devices} | ${p.allConnectedSeconds} | ${Math.round(rate)} | ${ratio ?? '—'} | ${p.connectMs ? `${p.connectMs.p50} / ${p.connectMs.p99}` : '—'} | ${p.refusedLegitimate} | ${flood} |`)
  }
  return lines.join('\n') + '\n'
}
