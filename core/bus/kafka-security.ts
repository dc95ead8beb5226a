import { readFileSync } from 'node:fs'
import type { KafkaConfig } from 'kafkajs'
import type { Config } from '../config.js'

/**
 * The TLS and SASL options kafkajs needs for a production cluster, from `KAFKA_SSL`,
 * `KAFKA_SSL_CA_FILE` and `KAFKA_SASL_*`. Nothing when neither is configured (a local broker).
 */
export function kafkaSecurity(config: Pick<Config['kafka'], 'ssl' | 'sasl'>): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const ssl = config.ssl ? (config.ssl.caFile ? { ca: [readFileSync(config.ssl.caFile, 'utf8')] } : true) : undefined
  const sasl = config.sasl ? { mechanism: config.sasl.mechanism, username: config.sasl.username, password: config.sasl.password } : undefined
  return { ...(ssl !== undefined ? { ssl } : {}), ...(sasl !== undefined ? { sasl } : {}) } as Pick<KafkaConfig, 'ssl' | 'sasl'>
}
