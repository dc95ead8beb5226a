import { describe, expect, test } from 'vitest'
import { loadConfig } from '../../core/config.js'

describe('config', () => {
  test('loadConfig should apply defaults and freeze the result', () => {
    const config = loadConfig({})
    const { topics, groupPrefix, partitions, maxRecordBytes: _maxRecordBytes, ...busChoice } = config.bus
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
      devices: 'registry.devices',
      deviceStatus: 'devices.status',
      deviceCommands: 'devices.commands',
    })
    expect(config.influx).toMatchObject({ database: 'circular' })
    expect(config.mqtt.port).toBeUndefined()
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.bus.topics)).toBe(true)
  })

  test('loadConfig should read lists and numbers from the environment', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'a:9092, b:9093', MQTT_PORT: '1884', INFLUX_URL: 'http://influx:8086/' })
    const { topics: _topics, groupPrefix: _prefix, partitions: _partitions, maxRecordBytes: _maxRecordBytes, ...busChoice } = config.bus
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

describe('config: the MQTT hard cap on packets', () => {
  test('should default to four payload limits plus room for topic and header, and refuse one that leaves no room for a payload', () => {
    expect(loadConfig({}).mqtt.maxPacketBytes).toBe(4 * 256 * 1024 + 4096)
    expect(loadConfig({ MQTT_MAX_PAYLOAD_BYTES: '1000' }).mqtt.maxPacketBytes).toBe(8096)
    expect(loadConfig({ MQTT_MAX_PACKET_BYTES: '300000' }).mqtt.maxPacketBytes).toBe(300_000)
    expect(() => loadConfig({ MQTT_MAX_PACKET_BYTES: '262144' })).toThrow(/MQTT_MAX_PACKET_BYTES: 262144 bytes leave no room for a payload of MQTT_MAX_PAYLOAD_BYTES \(262144\)/)
  })
})

describe('config: the largest bus record', () => {
  test('should default to what Kafka takes by default, and be settable', () => {
    expect(loadConfig({}).bus.maxRecordBytes).toBe(1_000_000)
    expect(loadConfig({ BUS_MAX_RECORD_BYTES: '4000000', MQTT_MAX_PAYLOAD_BYTES: '2000000' }).bus.maxRecordBytes).toBe(4_000_000)
  })

  test('should refuse a payload limit whose raw records would not fit in a bus record', () => {
    expect(() => loadConfig({ MQTT_MAX_PAYLOAD_BYTES: '995000' })).toThrow(/MQTT_MAX_PAYLOAD_BYTES: 995000 bytes of payload .* BUS_MAX_RECORD_BYTES \(1000000\)/)
    expect(() => loadConfig({ MQTT_MAX_PAYLOAD_BYTES: '300000', BUS_MAX_RECORD_BYTES: '300000' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    expect(loadConfig({ MQTT_MAX_PAYLOAD_BYTES: String(1_000_000 - 8 * 1024) }).mqtt.maxPayloadBytes).toBe(1_000_000 - 8 * 1024)
  })
})
