import type { Config } from '../../core/config.js'
import {
  createPlatform,
  platformCloser,
  startAlertsComponent,
  startApiComponent,
  startBrokerComponent,
  startFootprintComponent,
  startNormaliserComponent,
  startNotifierComponent,
  startSinkComponent,
  type Platform,
  type Started,
} from '../../cli/components.js'
import { adminHeaders } from './api-auth.js'
import { testLogger } from './pipeline.js'

export type Part = 'broker' | 'normaliser' | 'footprint' | 'sink' | 'alerts' | 'notifier' | 'api'

const starters: Record<Part, (p: Platform) => Promise<Started>> = {
  broker: startBrokerComponent,
  normaliser: startNormaliserComponent,
  footprint: startFootprintComponent,
  sink: startSinkComponent,
  alerts: startAlertsComponent,
  notifier: startNotifierComponent,
  api: startApiComponent,
}

export interface InProcessPipeline {
  readonly platform: Platform
  readonly mqttUrl: string
  readonly apiUrl: string
  /** The components as they started: names, addresses and notes (the broker's other listeners). */
  readonly started: readonly Started[]
  /** Headers of a platform admin API key, which may call every endpoint. */
  readonly authHeaders: { authorization: string }
  stop(): Promise<void>
}

/** Runs the chosen components in this process against the real services, as `circular start` does. */
export async function startInProcess(config: Config, parts: Part[] = ['broker', 'normaliser', 'sink', 'api']): Promise<InProcessPipeline> {
  const platform = createPlatform(config, testLogger)
  const started: Started[] = []
  for (const part of parts) started.push(await starters[part](platform))
  const address = (name: string): string => started.find((s) => s.name === name)?.address ?? ''
  return {
    platform,
    mqttUrl: address('broker'),
    apiUrl: address('api'),
    started,
    authHeaders: adminHeaders(config),
    stop: async () => {
      for (const s of started.reverse()) await s.stop()
      await platformCloser(platform).stop()
    },
  }
}
