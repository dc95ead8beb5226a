import { readFileSync } from 'node:fs'
import type { BaseOptions } from '@platformatic/kafka'
import type { Config } from '../config.js'

const mechanisms = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const

/**
 * The TLS and SASL options the Kafka client needs for a production cluster, from `KAFKA_SSL`,
 * `KAFKA_SSL_CA_FILE` and `KAFKA_SASL_*`. Nothing when neither is configured (a local broker).
 */
export function kafkaSecurity(config: Pick<Config['kafka'], 'ssl' | 'sasl'>): Pick<BaseOptions, 'tls' | 'sasl'> {
  return {
    ...(config.ssl ? { tls: config.ssl.caFile ? { ca: [readFileSync(config.ssl.caFile, 'utf8')] } : {} } : {}),
    ...(config.sasl ? { sasl: { mechanism: mechanisms[config.sasl.mechanism], username: config.sasl.username, password: config.sasl.password } } : {}),
  }
}
