import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { mosquittoVersion } from '../e2e/mosquitto.js'
import { influxUrl } from '../e2e/env.js'

export interface Machine {
  readonly cores: number
  readonly cpuModel: string
  readonly memoryGiB: number
  readonly kernel: string
  readonly versions: Record<string, string>
}

export async function describeMachine(): Promise<Machine> {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown'
  return {
    cores: cpus().length,
    cpuModel: model.trim(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    versions: {
      node: process.versions.node,
      java: javaVersion(),
      kafka: kafkaVersion(),
      influxdb: await influxVersion(),
      mosquitto: await mosquittoVersion(),
      aedes: packageVersion('aedes'),
      mqtt: packageVersion('mqtt'),
      '@platformatic/kafka': packageVersion('@platformatic/kafka'),
      // The Node-RED peer's own installation (bench/e2e/node-red.ts), when a run used it.
      'node-red': packageVersion('node-red', '../../.cache/bench-node-red/node_modules'),
      'node-red-contrib-influxdb': packageVersion('node-red-contrib-influxdb', '../../.cache/bench-node-red/node_modules'),
    },
  }
}

function javaVersion(): string {
  // `java -version` writes to stderr.
  const { stderr } = spawnSync('java', ['-version'], { encoding: 'utf8' })
  return /version "([^"]+)"/.exec(stderr ?? '')?.[1] ?? 'unknown'
}

function kafkaVersion(): string {
  try {
    return readFileSync(new URL('../../.local/kafka/formatted-by-version', import.meta.url), 'utf8').trim()
  } catch {
    return 'unknown'
  }
}

async function influxVersion(): Promise<string> {
  try {
    const response = await fetch(`${influxUrl}/ping`, { signal: AbortSignal.timeout(3000) })
    return response.headers.get('x-influxdb-version') ?? 'unknown'
  } catch {
    return 'unreachable'
  }
}

/** Read from the installed package.json: some packages (aedes) do not export it. */
function packageVersion(name: string, modules = '../../node_modules'): string {
  try {
    return (JSON.parse(readFileSync(new URL(`${modules}/${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}
