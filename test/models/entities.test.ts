import { describe, expect, it } from 'vitest'
import { entityTypes, lookupEntityModel } from '../../models/catalogue.js'
import { entitySchemas, type EntityType } from '../../models/entities.js'

describe('entity schemas', () => {
  it('entity schemas should exist for every catalogue type and name every reading attribute the catalogue has', () => {
    expect(Object.keys(entitySchemas).sort()).toEqual([...entityTypes].sort())
    for (const type of entityTypes) {
      const shape = entitySchemas[type as EntityType].shape as Record<string, unknown>
      const readings = [...(lookupEntityModel(type)?.attributes ?? [])].filter(([name, spec]) => spec.role !== 'metadata' && !name.includes('.')).map(([name]) => name)
      expect(readings.filter((name) => !(name in shape)), type).toEqual([])
    }
  })

  it('entity schemas should accept the data-models examples and refuse a wrong enum or a wrong phase', () => {
    expect(
      entitySchemas.ACMeasurement.safeParse({
        id: 'urn:ngsi-ld:ACMeasurement:recyparc-noord:main-meter',
        type: 'ACMeasurement',
        phaseType: 'threePhase',
        dateObserved: '2025-03-04T10:00:00Z',
        activePower: { L1: 11996.4, L2: 9461.5, L3: 10242.4 },
        current: { L1: 56.13, L2: 45.89, L3: 50.87, N: 0.0 },
        refDevice: ['urn:ngsi-ld:Device:meter-0007'],
      }).success,
    ).toBe(true)
    expect(entitySchemas.ACMeasurement.safeParse({ id: 'urn:x', type: 'ACMeasurement', activePower: { L4: 1 } }).success).toBe(false)
    expect(entitySchemas.WasteObserved.safeParse({ id: 'urn:x', type: 'WasteObserved', weight: 2360, direction: 'out', destination: 'recycling', storedWasteKind: 'glass' }).success).toBe(true)
    expect(entitySchemas.WasteObserved.safeParse({ id: 'urn:x', type: 'WasteObserved', destination: 'sea' }).success).toBe(false)
    expect(entitySchemas.WasteContainer.safeParse({ id: 'urn:x', type: 'WasteContainer', storedWasteKind: ['plastic', 'metal'], status: 'ok' }).success).toBe(true)
    expect(entitySchemas.WasteContainer.safeParse({ id: 'urn:x', type: 'WasteObserved' }).success).toBe(false)
  })
})
