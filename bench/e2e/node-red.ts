import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startComponent, type Component } from './processes.js'

/**
 * The peer that small cities build themselves: Node-RED with an MQTT-in node on the private
 * Mosquitto, a function node that turns the SenML pack into points, and node-red-contrib-influxdb's
 * "influxdb out" node, one write per message. Same fleet, payloads and phases as the other paths.
 * It is installed from the npm registry into a cache folder on first use, never into the project.
 */
export const nodeRedPackages = ['node-red@5.0.7', 'node-red-contrib-influxdb@0.7.0'] as const

const repoRoot = new URL('../../', import.meta.url).pathname
const cacheDir = join(repoRoot, '.cache', 'bench-node-red')

/** Installs Node-RED and the InfluxDB nodes into `.cache/bench-node-red` unless they are there. */
export function ensureNodeRed(log: (line: string) => void): string {
  const red = join(cacheDir, 'node_modules', 'node-red', 'red.js')
  if (existsSync(red) && existsSync(join(cacheDir, 'node_modules', 'node-red-contrib-influxdb', 'influxdb.js'))) return red
  mkdirSync(cacheDir, { recursive: true })
  log(`installing ${nodeRedPackages.join(' ')} into ${cacheDir}`)
  const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', cacheDir, ...nodeRedPackages], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' })
  if (npm.status !== 0) throw new Error(`npm install of Node-RED failed (${npm.status}): ${npm.stderr.slice(-2000)}`)
  return red
}

/** SenML (as the generators send it) → [fields, tags] per record, with the record's time in ms. */
const senmlToPoints = `
const device = msg.topic.split('/')[1];
const pack = JSON.parse(msg.payload);
let bt = 0;
const points = [];
for (const r of pack) {
  if (r.bt !== undefined) bt = r.bt;
  points.push([{ temperature_c: r.v, time: Math.round((bt + (r.t || 0)) * 1000) }, { tenant: env.get('BENCH_TENANT'), device }]);
}
msg.payload = points;
return msg;
`

export interface NodeRedSettings {
  readonly mqtt: { readonly host: string; readonly port: number; readonly clientId: string }
  readonly influx: { readonly host: string; readonly port: number; readonly database: string }
  /** Tenant tag of every point: the fleet's, so the run counts the path's readings as on the others. */
  readonly tenant: string
  readonly userDir: string
  readonly logDir: string
  /** Node-RED listens on HTTP even without its editor. */
  readonly uiPort: number
}

/** Starts Node-RED on the flow above, without its editor; resolves once its MQTT node is connected. */
export async function startNodeRed(red: string, s: NodeRedSettings): Promise<Component> {
  mkdirSync(s.userDir, { recursive: true })
  const flow = [
    // Ids differ from every name and value: Node-RED takes a property equal to a node id for a reference to it.
    { id: 'flow-1', type: 'tab', label: 'bench' },
    { id: 'broker-config-1', type: 'mqtt-broker', name: 'private Mosquitto', broker: s.mqtt.host, port: String(s.mqtt.port), clientid: s.mqtt.clientId, autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
    { id: 'mqtt-in-1', type: 'mqtt in', z: 'flow-1', name: 'telemetry', topic: 'devices/+/senml', qos: '1', datatype: 'utf8', broker: 'broker-config-1', nl: false, rap: true, rh: 0, inputs: 0, wires: [['function-1']] },
    { id: 'function-1', type: 'function', z: 'flow-1', name: 'SenML to points', func: senmlToPoints, outputs: 1, wires: [['influx-out-1']] },
    { id: 'influx-config-1', type: 'influxdb', hostname: s.influx.host, port: String(s.influx.port), protocol: 'http', database: s.influx.database, name: 'InfluxDB', usetls: false, influxdbVersion: '1.x' },
    { id: 'influx-out-1', type: 'influxdb out', z: 'flow-1', influxdb: 'influx-config-1', name: 'store', measurement: 'waste_container', precision: 'ms', retentionPolicy: '', wires: [] },
  ]
  writeFileSync(join(s.userDir, 'flows.json'), JSON.stringify(flow, null, 2))
  // No editor or admin API (a city would have them, behind a login): only the flow runs.
  writeFileSync(join(s.userDir, 'settings.js'), `module.exports = { flowFile: 'flows.json', httpAdminRoot: false, httpNodeRoot: false, uiPort: ${s.uiPort}, uiHost: '127.0.0.1', logging: { console: { level: 'info' } }, editorTheme: { tours: false } }\n`)
  return startComponent('node-red', [red, '--userDir', s.userDir, '--settings', join(s.userDir, 'settings.js')], { BENCH_TENANT: s.tenant }, s.logDir, 90_000, { ready: /Connected to broker/ })
}
