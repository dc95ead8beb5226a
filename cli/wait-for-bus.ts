import { setTimeout as sleep } from 'node:timers/promises'
import type { Bus } from '../core/bus/bus.js'
import type { Logger } from '../core/logger.js'

/**
 * Waits, however long it takes, until the bus answers: a process started before Kafka (a host
 * booting, Kafka being restarted, a Compose or Kubernetes start without ordering) waits for it
 * and says so, instead of exiting on its first failed request. Probes back off to every 5 s; the
 * log says it every 30 s or so, and once more when the bus answered.
 */
export async function waitForBus(bus: Bus, logger: Logger, where: string, options: { readonly stopped?: () => boolean } = {}): Promise<void> {
  const since = Date.now()
  let lastSaid = 0
  for (let attempt = 0; !(await bus.ping()); attempt++) {
    if (options.stopped?.()) return
    if (Date.now() - lastSaid >= 30_000) {
      logger.warn({ bus: where, waitingMs: Date.now() - since }, `the bus at ${where} does not answer; waiting for it before starting`)
      lastSaid = Date.now()
    }
    await sleep(Math.min(5000, 250 * 2 ** attempt))
  }
  if (lastSaid > 0) logger.info({ bus: where, afterMs: Date.now() - since }, `the bus at ${where} answers; starting`)
}
