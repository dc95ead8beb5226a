import { describe, expect, test } from 'vitest'
import type { Bus, IncomingRecord } from '../../core/bus/bus.js'
import { header } from '../../core/bus/topics.js'
import { loadConfig } from '../../core/config.js'
import { createLogger } from '../../core/logger.js'
import type { Device } from '../../core/registry/device.js'
import { Normaliser } from '../../processors/normaliser.js'

/** The normaliser's record → envelope step on its own: no Kafka, a registry in memory. */
function normaliserWith(devices: Device[]): Normaliser {
  const byId = new Map(devices.map((d) => [d.id, d]))
  return new Normaliser({
    config: loadConfig({}),
    bus: {} as Bus,
    registry: { get: (id) => byId.get(id), list: () => [...byId.values()] },
    logger: createLogger('silent'),
  })
}

const receivedAt = Date.now() - 60_000

function device(fields: Partial<Device> & Pick<Device, 'id' | 'kind' | 'format'>): Device {
  return { tenant: 'antwerp', site: 'recyparc', apiKey: 'antwerp', secretHash: 'scrypt$x', createdAt: new Date(0).toISOString(), ...fields }
}

function raw(deviceId: string, mqttTopic: string, format: string, payload: unknown): IncomingRecord {
  return {
    topic: 'telemetry.raw',
    partition: 0,
    offset: '7',
    key: deviceId,
    value: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
    headers: { [header.device]: deviceId, [header.format]: format, [header.mqttTopic]: mqttTopic, [header.receivedAt]: String(receivedAt), [header.tenant]: 'antwerp', [header.site]: 'recyparc' },
    timestamp: receivedAt,
  }
}

describe('normaliser enrichment', () => {
  test('the envelope should carry what the registry knows about a container', () => {
    const bin = device({
      id: 'bin-1',
      kind: 'waste_container',
      format: 'iota-json',
      location: { type: 'Point', coordinates: [4.42173, 51.21301] },
      wasteFraction: 'glass',
      containerVolumeM3: 3,
      containerType: 'underground-3m3',
      fullnessThreshold: 0.8,
    })
    const { envelope, reasons } = normaliserWith([bin]).normalise(raw('bin-1', '/json/antwerp/bin-1/attrs', 'iota-json', { fillingLevel: 0.4 }))
    expect(reasons).toEqual([])
    expect(envelope).toMatchObject({
      kind: 'waste_container',
      location: { type: 'Point', coordinates: [4.42173, 51.21301] },
      fraction: 'glass',
      containerVolumeM3: 3,
      containerType: 'underground-3m3',
      fullnessThreshold: 0.8,
    })
    expect(envelope).not.toHaveProperty('meterType')
  })

  test('a meter should get its registered meter type, else the one its kind implies, and read bare registers in it', () => {
    const heatAsWater = device({ id: 'meter-1', kind: 'heat_meter', format: 'iota-json', meterType: 'water' })
    const gas = device({ id: 'gas-1', kind: 'gas_meter', format: 'iota-json' })
    const normaliser = normaliserWith([heatAsWater, gas])
    const water = normaliser.normalise(raw('meter-1', '/json/antwerp/meter-1/attrs', 'iota-json', { totalConsumption: 12 })).envelope
    expect(water).toMatchObject({ meterType: 'water', readings: [{ field: 'total_consumption_m3', value: 12, unit: 'm3' }] })
    const implied = normaliser.normalise(raw('gas-1', '/json/antwerp/gas-1/attrs', 'iota-json', { totalConsumption: 13 })).envelope
    expect(implied).toMatchObject({ meterType: 'gas', readings: [{ field: 'total_consumption_m3', value: 13 }] })
  })

  test('on a topic that names no format the content should win over the registered format, which stays the fallback', () => {
    const scale = device({ id: 'scale-1', kind: 'weighing_device', format: 'ultralight' })
    const normaliser = normaliserWith([scale])
    // Ingest put the registered format in the header, as it does for devices/<id>/attrs.
    const pack = normaliser.normalise(raw('scale-1', 'devices/scale-1/attrs', 'ultralight', [{ n: 'scale-1/weight', u: 'kg', v: 410 }]))
    expect(pack.envelope).toMatchObject({ format: 'senml', readings: [{ field: 'net_weight_kg', value: 410 }] })
    const text = normaliser.normalise(raw('scale-1', 'devices/scale-1/attrs', 'ultralight', 'weight|420'))
    expect(text.envelope).toMatchObject({ format: 'ultralight', readings: [{ field: 'net_weight_kg', value: 420 }] })
    // A topic that names its format is followed as it is.
    expect(normaliser.normalise(raw('scale-1', 'devices/scale-1/ngsi-ld', 'ngsi-ld', 'weight|420')).reasons.map((r) => r.code)).toEqual(['PAYLOAD_MALFORMED'])
  })
})
