import { describe, expect, test } from 'vitest'
import { loadConfig } from '../../core/config.js'

describe('config', () => {
  test('loadConfig should apply defaults and freeze the result', () => {
    const config = loadConfig({})
    const { topics, groupPrefix, partitions, ...busChoice } = config.bus
    expect(busChoice).toEqual({ kind: 'embedded', path: '.local/bus.sqlite', retentionMs: 7 * 86_400_000 })
    expect({ groupPrefix, partitions }).toEqual({ groupPrefix: 'circular', partitions: 3 })
    expect(config.store).toEqual({ kind: 'embedded', path: '.local/store.sqlite' })
    expect(config.kafka.brokers).toEqual([])
    expect(topics).toEqual({
      raw: 'telemetry.raw',
      readings: 'telemetry.readings',
      deadLetter: 'telemetry.deadletter',
      footprintPoints: 'footprint.points',
      footprintState: 'footprint.state',
    })
    expect(config.influx).toMatchObject({ database: 'circular' })
    expect(config.mqtt.port).toBeUndefined()
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.bus.topics)).toBe(true)
  })

  test('loadConfig should read lists and numbers from the environment', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:9092, b:9093', MQTT_PORT: '1884', INFLUX_URL: 'http://influx:8086/' })
    const { topics: _topics, groupPrefix: _prefix, partitions: _partitions, ...busChoice } = config.bus
    expect(busChoice).toEqual({ kind: 'kafka' })
    expect(config.store).toEqual({ kind: 'influxdb' })
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9093'])
    expect(config.mqtt.port).toBe(1884)
    expect(config.influx.url).toBe('http://influx:8086')
  })

  test('loadConfig should name every invalid variable', () => {
    let caught: unknown
    try {
      loadConfig({ MQTT_PORT: 'x', KAFKA_BROKERS: 'nohostport', INFLUX_DB: 'a b' })
    } catch (error) {
      caught = error
    }
    expect(caught).toMatchObject({ code: 'CONFIG_INVALID', canRetry: false })
    for (const name of ['MQTT_PORT', 'KAFKA_BROKERS', 'INFLUX_DB']) expect((caught as Error).message).toContain(name)
  })

  test('an empty variable should count as unset', () => {
    expect(loadConfig({ API_PORT: '' }).api.port).toBe(8080)
  })
})
