import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import mqtt from 'mqtt'
import { header } from '../../core/bus/topics.js'
import { deadLetterReasons } from '../../processors/dead-letter.js'
import { collectTopic, isolatedConfig, registerDevice, waitFor, type TestDevice } from '../support/pipeline.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'

describe('normaliser: bad input goes to the dead-letter topic with its reason, good input keeps flowing', () => {
  const { config, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline
  let bin: TestDevice

  beforeAll(async () => {
    bin = await registerDevice(config, { id: 'bin-7', kind: 'waste_container' })
    pipeline = await startInProcess(config)
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  test('malformed JSON, an unknown entity type, fillingLevel 1.7 and an unknown unit are each dead-lettered; a later good reading is stored', async () => {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000).toISOString()
    const bad = [
      { topic: 'devices/bin-7/ngsi-ld', payload: '{"id": "urn:ngsi-ld:WasteContainer:bin-7", "type": ', code: 'PAYLOAD_MALFORMED' },
      { topic: 'devices/bin-7/ngsi-ld', payload: JSON.stringify({ id: 'urn:ngsi-ld:Spaceship:1', type: 'Spaceship', speed: 3 }), code: 'ENTITY_TYPE_UNKNOWN' },
      {
        topic: 'devices/bin-7/ngsi-ld',
        payload: JSON.stringify({ id: 'urn:ngsi-ld:WasteContainer:bin-7', type: 'WasteContainer', fillingLevel: { type: 'Property', value: 1.7, observedAt: now } }),
        code: 'VALUE_OUT_OF_RANGE',
        attribute: 'fillingLevel',
      },
      { topic: 'devices/bin-7/senml', payload: JSON.stringify([{ bn: 'urn:dev:bin-7:', n: 'cargoWeight', u: 'furlong', v: 3 }]), code: 'UNIT_UNKNOWN', attribute: 'cargoWeight' },
    ]
    const good = JSON.stringify({ id: 'urn:ngsi-ld:WasteContainer:bin-7', type: 'WasteContainer', fillingLevel: { type: 'Property', value: 0.25, unitCode: 'C62', observedAt: now } })

    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: bin.device.id, username: bin.device.id, password: bin.secret, protocolVersion: 4 })
    for (const b of bad) await client.publishAsync(b.topic, b.payload, { qos: 1 })
    await client.publishAsync('devices/bin-7/ngsi-ld', good, { qos: 1 })
    await client.endAsync()

    const deadLetters = await collectTopic(config, config.bus.topics.deadLetter, (records) => records.length >= bad.length)
    expect(deadLetters).toHaveLength(bad.length)
    for (const b of bad) {
      const record = deadLetters.find((r) => r.value.toString() === b.payload)
      expect(record, `dead letter for ${b.code}`).toBeDefined()
      expect(record!.headers).toMatchObject({ [header.dlqStage]: 'normaliser', [header.dlqCode]: b.code, [header.device]: 'bin-7', [header.tenant]: 'testcity', [header.mqttTopic]: b.topic })
      expect(record!.headers[header.dlqSourceTopic]).toBe(config.bus.topics.raw)
      const reasons = deadLetterReasons(record!.headers)
      expect(reasons[0]!.message.length).toBeGreaterThan(5)
      if (b.attribute) expect(reasons[0]).toMatchObject({ code: b.code, attribute: b.attribute })
    }

    const stored = await waitFor(
      async () => {
        const response = await fetch(`${pipeline.apiUrl}/v1/devices/bin-7/readings?from=${new Date(Date.now() - 3_600_000).toISOString()}`, { headers: pipeline.authHeaders })
        const body = (await response.json()) as { readings: { field: string; value: unknown }[] }
        return body.readings.length > 0 ? body.readings : undefined
      },
      20_000,
      'the good reading',
    )
    expect(stored).toEqual([expect.objectContaining({ field: 'filling_level', value: 0.25 })])
  })
})
