import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { startComponent, type Component } from './processes.js'

export interface PipelineLaunch {
  readonly env: Record<string, string>
  readonly logDir: string
  /** When set, every component writes a V8 CPU profile into `<dir>/<name>/` on exit. */
  readonly profileDir?: string
}

export function nodeArgs(launch: PipelineLaunch, name: string, args: string[]): string[] {
  if (!launch.profileDir) return args
  const dir = join(launch.profileDir, name)
  mkdirSync(dir, { recursive: true })
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...args]
}

/** `circular process normaliser|store-sink`, in the run's own consumer groups (KAFKA_GROUP_PREFIX). */
export function startProcessor(launch: PipelineLaunch, role: 'normaliser' | 'store-sink'): Promise<Component> {
  return startComponent(role, nodeArgs(launch, role, ['bin/circular.js', 'process', role]), launch.env, launch.logDir)
}

/** `circular broker` (aedes) on the given port. */
export function startBroker(launch: PipelineLaunch, port: number): Promise<Component> {
  return startComponent('broker', nodeArgs(launch, 'broker', ['bin/circular.js', 'broker']), { ...launch.env, MQTT_PORT: String(port) }, launch.logDir)
}

/** `circular bridge` from an external broker; `shareGroup` makes several of them split the stream. */
export function startBridgeProcess(launch: PipelineLaunch, name: string, url: string, clientId: string, shareGroup?: string): Promise<Component> {
  const env = { ...launch.env, BRIDGE_MQTT_URL: url, BRIDGE_CLIENT_ID: clientId, ...(shareGroup ? { BRIDGE_SHARE_GROUP: shareGroup } : {}) }
  return startComponent(name, nodeArgs(launch, name, ['bin/circular.js', 'bridge']), env, launch.logDir)
}
