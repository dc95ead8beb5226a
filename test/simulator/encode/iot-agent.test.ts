import { describe, expect, test } from 'vitest'
import { iotAgentJson, ultralight } from '../../../simulator/encode/iot-agent.js'
import { envelope, measures } from './fixture.js'

describe('IoT Agent encoders', () => {
  test('JSON should be a flat object of the values in default units with the TimeInstant, on the device\'s /json topic', () => {
    const message = iotAgentJson(envelope, measures)
    expect(message.topic).toBe('/json/ghent/bin-7/attrs')
    expect(JSON.parse(message.payload)).toEqual({ fillingLevel: 0.42, status: 'ok', batteryLevel: 0.87, TimeInstant: '2026-03-02T08:15:00.000Z' })
  })

  test('Ultralight should lead with the timestamp and pair keys and values with bars, on the /ul topic', () => {
    expect(ultralight(envelope, measures)).toEqual({ topic: '/ul/ghent/bin-7/attrs', payload: '2026-03-02T08:15:00.000Z|fillingLevel|0.42|status|ok|batteryLevel|0.87' })
  })

  test('without measures both should still carry the time and nothing else', () => {
    expect(JSON.parse(iotAgentJson(envelope, []).payload)).toEqual({ TimeInstant: '2026-03-02T08:15:00.000Z' })
    expect(ultralight(envelope, []).payload).toBe('2026-03-02T08:15:00.000Z')
  })
})
