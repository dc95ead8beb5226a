/**
 * An alert notifier on Kafka that freezes itself (SIGSTOP) once, right after its first webhook
 * was accepted and before it records the delivery: the instance a long pause (a stalled VM, a
 * swap storm) leaves behind while the group gives its event partition to another notifier.
 * Prints `FROZEN` first. Run with `node --import tsx`, configured by the environment like
 * `circular process alert-notifier`.
 */
import { writeSync } from 'node:fs'
import { KafkaBus } from '../../core/bus/kafka-bus.js'
import { loadConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import { DeliveryTargets } from '../../core/alerts/delivery-target.js'
import { AlertNotifier } from '../../processors/alerts/notifier.js'
import { RulesSource } from '../../processors/alerts/rules-source.js'
import { postWebhook } from '../../processors/alerts/webhook.js'

const config = loadConfig(process.env)
const logger = createLogger(config.logLevel, 'notifier-zombie')
const bus = new KafkaBus(config.kafka, logger, { maxRecordBytes: config.bus.maxRecordBytes })
const targets = new DeliveryTargets(config.alerts.delivery.targetsAllow)
let frozen = false
const notifier = new AlertNotifier({
  config,
  bus,
  rules: new RulesSource(config.alerts.rulesFile, logger),
  logger,
  targets,
  send: async (subscriber, event, timeoutMs) => {
    const outcome = await postWebhook(subscriber, event, timeoutMs, targets)
    if (outcome.result === 'delivered' && !frozen) {
      frozen = true
      writeSync(1, 'FROZEN\n')
      process.kill(process.pid, 'SIGSTOP')
    }
    return outcome
  },
})
await notifier.start()
