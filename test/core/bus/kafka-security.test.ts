import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { kafkaSecurity } from '../../../core/bus/kafka-security.js'
import { loadConfig } from '../../../core/config.js'

describe('Kafka TLS and SASL settings', () => {
  test('nothing is set for a local broker', () => {
    expect(kafkaSecurity(loadConfig({ KAFKA_BROKERS: 'k:9092' }).kafka)).toEqual({})
  })

  test('SASL and TLS with a private CA are passed through to the Kafka client', () => {
    const caFile = join(mkdtempSync(join(tmpdir(), 'kafka-ca-')), 'ca.pem')
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n')
    const config = loadConfig({ KAFKA_BROKERS: 'k:9093', KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: caFile, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'circular', KAFKA_SASL_PASSWORD: 'pw' })
    expect(kafkaSecurity(config.kafka)).toEqual({
      tls: { ca: ['-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n'] },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'circular', password: 'pw' },
    })
    // TLS with the system's CAs: an empty TLS options object still turns TLS on.
    expect(kafkaSecurity(loadConfig({ KAFKA_BROKERS: 'k:9093', KAFKA_SSL: 'true' }).kafka)).toEqual({ tls: {} })
    expect(kafkaSecurity(loadConfig({ KAFKA_BROKERS: 'k:9093', KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }).kafka).sasl?.mechanism).toBe('PLAIN')
  })

  test('half-configured security is refused at start-up, naming the variables', () => {
    expect(() => loadConfig({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' })).toThrow(/KAFKA_SASL_PASSWORD/)
    expect(() => loadConfig({ MQTT_PLAIN: 'false' })).toThrow(/MQTT_PLAIN/)
    expect(() => loadConfig({ MQTT_TLS_CERT_FILE: 'c.pem' })).toThrow(/MQTT_TLS_KEY_FILE/)
    expect(() => loadConfig({ MQTT_TLS_CERT_FILE: 'c.pem', MQTT_TLS_KEY_FILE: 'k.pem', MQTT_TLS_CLIENT_CERTS: 'required' })).toThrow(/MQTT_TLS_CA_FILE/)
    expect(() => loadConfig({ OIDC_ISSUER: 'https://id.example' })).toThrow(/OIDC_AUDIENCE/)
  })
})
