import { z } from 'zod'
import { identifier } from '../core/registry/device.js'
import { PlatformError } from '../models/errors.js'

const hourMs = 3_600_000

const schema = z.object({
  /** The platform's MQTT broker, e.g. `mqtt://127.0.0.1:1883`. */
  url: z.string().regex(/^mqtts?:\/\/.+/, 'mqtt://host:port or mqtts://host:port'),
  /** The device registry the broker authenticates against; simulated devices are added to it. */
  registryFile: z.string().min(1),
  /** Where the devices' secrets are kept between runs; default `simulator-state.json` next to the registry. */
  stateFile: z.string().min(1).optional(),
  /** How far the city got, to resume after a restart; default `simulator-progress.json` next to the registry. */
  progressFile: z.string().min(1).optional(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  /** Simulated seconds per wall-clock second until the history has been replayed. */
  speed: z.number().min(1).max(10_000_000).default(60),
  /** Fleet size as a multiple of the base fleet (16 devices: 11 containers, 4 meters, a weighbridge). */
  scale: z.number().int().min(1).max(200).default(1),
  /** How far back simulated time starts. */
  historyHours: z.number().min(0).max(24 * 31).default(24),
  tenant: identifier.default('demo-city'),
  /** Simulated start, ms since the epoch; default `historyHours` before now, on a whole minute. */
  startAt: z.number().int().min(0).optional(),
  /** Messages published but not yet acknowledged, across the fleet, before the simulation waits. */
  maxInFlight: z.number().int().positive().default(500),
  /** How long stop() waits for outstanding acknowledgements. */
  drainTimeoutMs: z.number().int().positive().default(15_000),
})

export type SimulationOptions = z.input<typeof schema>
export type ResolvedOptions = z.output<typeof schema> & { readonly startAt: number }

/** Checks the options and fills in defaults; names the option at fault. */
export function resolveOptions(options: SimulationOptions, now: number): ResolvedOptions {
  const parsed = schema.safeParse(options)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`)
    throw new PlatformError('CONFIG_INVALID', `invalid simulator options: ${problems.join('; ')}`, { problems })
  }
  const startAt = parsed.data.startAt ?? Math.floor((now - parsed.data.historyHours * hourMs) / 60_000) * 60_000
  if (startAt > now) throw new PlatformError('CONFIG_INVALID', 'invalid simulator options: startAt lies in the future', { startAt })
  return { ...parsed.data, startAt }
}
