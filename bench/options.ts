import { parseArgs } from 'node:util'
import type { PayloadMode } from './e2e/payloads.js'

export interface BenchOptions {
  readonly kind: 'full' | 'smoke' | 'profile' | 'micro' | 'recovery' | 'connect-storm'
  /** The whole platform as `circular start` runs it: one process, embedded bus and store. */
  readonly embedded: boolean
  readonly devices: number
  readonly generators: number
  /** Outstanding QoS 1 publishes per device connection. */
  readonly window: number
  readonly payloads: readonly PayloadMode[]
  /** Bridge process counts for the Mosquitto peer; the largest gets the full set of phases. */
  readonly bridges: readonly number[]
  readonly maxSeconds: number
  /** Start of the max phase left out of its throughput figure. */
  readonly warmupSeconds: number
  readonly rateSeconds: number
  readonly loadFractions: readonly number[]
  readonly probeHz: number
  readonly pollMs: number
  /** An external Mosquitto instead of a private one (e.g. mqtt://127.0.0.1:1883). */
  readonly mosquittoUrl?: string
  readonly outDir: string
  readonly keepLogs: boolean
  readonly skipAedes: boolean
  readonly skipPeer: boolean
  /** The same aedes broker handing every publish to nothing: the ceiling the pipeline is read against. */
  readonly bare: boolean
  /** Node-RED (MQTT in from the private Mosquitto → InfluxDB out) as a second peer. */
  readonly nodeRed: boolean
}

export const usage = `npm run bench -- [options]
  --smoke              tiny correctness run (5 devices, a few hundred readings, both brokers)
  --embedded           the embedded defaults instead: \`circular start\` in one process, embedded bus and
                       store, no Kafka or InfluxDB (combines with --smoke and --profile; latency at 50 % only
                       unless --loads says otherwise)
  --micro              decoder and line-protocol micro-benchmarks only
  --recovery           kills the local Kafka and footprint processors and measures how soon every
                       consumer group commits again (not for a shared Kafka)
  --connect-storm      a fleet of --devices (default here 10000) reconnecting at once with 2000 wrong secrets
                       beside it: the platform broker with current and earlier (scrypt, 1000 devices) secrets,
                       and an anonymous Mosquitto as the ceiling
  --profile            short run with --cpu-prof on every component; prints top self-time functions
  --devices <n>        simulated devices per path (default 100)
  --generators <n>     load generator processes (default 2)
  --window <n>         outstanding QoS 1 publishes per device connection (default 10)
  --payloads <list>    single,pack (default both)
  --bridges <list>     bridge processes for the Mosquitto peer, e.g. 1,4 (default 1,4)
  --max-seconds <s>    as-fast-as-accepted phase (default 12, of which --warmup-seconds 3 are not counted)
  --rate-seconds <s>   each fixed-rate latency phase (default 8)
  --loads <list>       latency phases as fractions of the measured maximum (default 0.5,0.9; "none" to skip)
  --mosquitto-url <u>  use this Mosquitto instead of a private one
  --no-aedes, --no-peer  leave out one side
  --no-bare            leave out the bare-broker path (aedes, authentication and ACL, publishes handed to nothing)
  --no-node-red        leave out the Node-RED peer (installed into .cache/bench-node-red on first use)
                       both run in full runs only
  --keep-logs          keep the components' logs in the run directory`

export function parseOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean' },
      micro: { type: 'boolean' },
      embedded: { type: 'boolean' },
      recovery: { type: 'boolean' },
      'connect-storm': { type: 'boolean' },
      profile: { type: 'boolean' },
      devices: { type: 'string' },
      generators: { type: 'string' },
      window: { type: 'string' },
      payloads: { type: 'string' },
      bridges: { type: 'string' },
      'max-seconds': { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'rate-seconds': { type: 'string' },
      loads: { type: 'string' },
      'mosquitto-url': { type: 'string' },
      out: { type: 'string' },
      'keep-logs': { type: 'boolean' },
      'no-aedes': { type: 'boolean' },
      'no-peer': { type: 'boolean' },
      'no-bare': { type: 'boolean' },
      'no-node-red': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  })
  if (values.help) {
    console.log(usage)
    process.exit(0)
  }
  const kind = values['connect-storm'] ? 'connect-storm' : values.recovery ? 'recovery' : values.micro ? 'micro' : values.smoke ? 'smoke' : values.profile ? 'profile' : 'full'
  const smoke = kind === 'smoke'
  const profile = kind === 'profile'
  const payloads = (values.payloads ?? 'single,pack').split(',').map((p) => {
    if (p !== 'single' && p !== 'pack') throw new Error(`--payloads: unknown mode "${p}"`)
    return p
  })
  const embedded = values.embedded === true
  if (embedded && (kind === 'micro' || kind === 'connect-storm')) throw new Error(`--embedded does not apply to --${kind}`)
  return {
    kind,
    embedded,
    devices: positive('--devices', values.devices, smoke ? 5 : kind === 'connect-storm' ? 10_000 : 100),
    generators: positive('--generators', values.generators, smoke ? 1 : 2),
    window: positive('--window', values.window, 10),
    payloads,
    bridges: (values.bridges ?? (smoke ? '2' : profile ? '4' : '1,4')).split(',').map((b) => positive('--bridges', b, 1)),
    maxSeconds: positive('--max-seconds', values['max-seconds'], profile ? 10 : 12),
    warmupSeconds: positive('--warmup-seconds', values['warmup-seconds'], 3),
    rateSeconds: positive('--rate-seconds', values['rate-seconds'], 8),
    loadFractions: profile || values.loads === 'none' ? [] : (values.loads ?? (embedded ? '0.5' : '0.5,0.9')).split(',').map((f) => fraction(f)),
    probeHz: smoke ? 10 : 50,
    pollMs: 50,
    ...(values['mosquitto-url'] !== undefined ? { mosquittoUrl: values['mosquitto-url'] } : {}),
    outDir: values.out ?? 'bench/results',
    keepLogs: values['keep-logs'] === true || profile,
    skipAedes: values['no-aedes'] === true,
    skipPeer: values['no-peer'] === true,
    bare: kind === 'full' && !embedded && values['no-bare'] !== true,
    nodeRed: kind === 'full' && !embedded && values['no-node-red'] !== true && values['no-peer'] !== true,
  }
}

function fraction(text: string): number {
  const n = Number(text)
  if (!(n > 0 && n <= 1)) throw new Error(`--loads: ${text} is not a fraction in (0, 1]`)
  return n
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${text}"`)
  return n
}
