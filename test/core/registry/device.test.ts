import { describe, expect, test } from 'vitest'
import { device, identifier, publicView, type Device } from '../../../core/registry/device.js'

const registered: Device = {
  id: 'bin-0042',
  tenant: 'ghent',
  site: 'binnenstad',
  kind: 'waste_container',
  format: 'senml',
  apiKey: 'ghent',
  location: { type: 'Point', coordinates: [3.7174, 51.0543] },
  secretHash: 'scrypt$16384$8$1$c2FsdA$aGFzaA',
  createdAt: '2026-01-01T00:00:00.000Z',
}

describe('identifier', () => {
  test('should take letters, digits, _ . - up to 128 characters, starting with a letter or digit', () => {
    for (const ok of ['a', '0', 'bin-0042', 'Depot_1.north', 'x'.repeat(128)]) expect(identifier.safeParse(ok).success, ok).toBe(true)
  })

  test('should refuse what would need escaping in MQTT topics, Kafka keys or InfluxDB tags', () => {
    for (const bad of ['', '-bin', '.bin', '_bin', 'bin/1', 'bin+', 'bin#', 'bin 1', 'bin,1', 'bin=1', 'bin"1', 'bïn', 'x'.repeat(129)]) {
      expect(identifier.safeParse(bad).success, bad).toBe(false)
    }
  })
})

describe('device', () => {
  test('should hold only a hash of the secret (sha256, or scrypt from before) and a location within the globe', () => {
    expect(device.safeParse(registered).success).toBe(true)
    expect(device.safeParse({ ...registered, secretHash: 'sha256$c2FsdA$aGFzaA' }).success).toBe(true)
    expect(device.safeParse({ ...registered, secretHash: 'plain-secret' }).success).toBe(false)
    expect(device.safeParse({ ...registered, location: { type: 'Point', coordinates: [51.0543, 93.7] } }).success).toBe(false)
    expect(device.safeParse({ ...registered, fullnessThreshold: 1.2 }).success).toBe(false)
    expect(device.safeParse({ ...registered, containerVolumeM3: 0 }).success).toBe(false)
  })

  test('publicView should show everything but the secret hash', () => {
    const view = publicView(registered)
    expect(Object.keys(view)).not.toContain('secretHash')
    expect(view).toEqual({ ...registered, secretHash: undefined })
  })
})
