import { describe, expect, test } from 'vitest'
import { device } from '../../core/registry/device.js'
import { variants } from '../../simulator/encode/variants.js'
import { planFleet } from '../../simulator/fleet.js'
import { deviceFor } from '../../simulator/registration.js'
import { deviceKinds } from '../../models/reading.js'

describe('planFleet', () => {
  test('should plan every device kind but generic, every wire format, and each incident once', () => {
    const plans = planFleet('demo-city', 1, 1)
    expect(plans).toHaveLength(16)
    expect(new Set(plans.map((p) => p.kind))).toEqual(new Set(deviceKinds.filter((k) => k !== 'generic')))
    expect(new Set(plans.map((p) => p.variant))).toEqual(new Set(variants))
    const roles = plans.map((p) => p.role).filter((r) => r !== 'regular').sort()
    expect(roles).toEqual(['burning', 'overflowing', 'silent', 'swapped-meter', 'weak-battery'])
    expect(new Set(plans.filter((p) => p.kind === 'waste_container').map((p) => p.container?.wasteFraction))).toEqual(new Set(['inorganic', 'organic', 'paper', 'plastic', 'glass']))
  })

  test('should grow with the scale, keep ids unique and the incidents single', () => {
    const plans = planFleet('demo-city', 3, 1)
    expect(plans).toHaveLength(1 + 3 * 15)
    expect(new Set(plans.map((p) => p.id)).size).toBe(plans.length)
    expect(plans.filter((p) => p.role === 'burning')).toHaveLength(1)
  })

  test('should be the same fleet for the same tenant, scale and seed', () => {
    expect(planFleet('demo-city', 2, 9)).toEqual(planFleet('demo-city', 2, 9))
  })

  test('each planned device should make a valid registry entry with its enrichment, located in Ghent', () => {
    for (const plan of planFleet('demo-city', 1, 1)) {
      const entry = device.parse(deviceFor(plan, 'demo-city', 'scrypt$16384$8$1$c2FsdA$aGFzaA', '2026-01-12T00:00:00.000Z'))
      const [lon, lat] = entry.location!.coordinates
      expect(lat).toBeGreaterThan(51.0)
      expect(lat).toBeLessThan(51.1)
      expect(lon).toBeGreaterThan(3.65)
      expect(lon).toBeLessThan(3.8)
      if (entry.kind === 'waste_container') expect([entry.wasteFraction, entry.containerVolumeM3, entry.containerType, entry.fullnessThreshold].every((v) => v !== undefined)).toBe(true)
      if (entry.kind.endsWith('_meter')) expect(entry.meterType).toBeDefined()
    }
  })
})
