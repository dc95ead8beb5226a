import type { DeviceKind } from '../models/reading.js'
import type { MeterType, StoredWasteKind } from '../models/vocabulary.js'
import { buildings, districts, fractionRounds, recyclingCentre, type FractionRound, type Site } from './city.js'
import type { Variant } from './encode/variants.js'
import { round } from './numbers.js'
import { rngFor } from './prng.js'

/** The part a device plays in the demo besides reporting normally. */
export type Role = 'regular' | 'overflowing' | 'burning' | 'silent' | 'weak-battery' | 'swapped-meter'

export interface DevicePlan {
  readonly id: string
  readonly kind: DeviceKind
  readonly variant: Variant
  readonly siteId: string
  /** GeoJSON order: longitude, latitude. */
  readonly coordinates: readonly [number, number]
  readonly entityType: string
  /** The NGSI-LD entity the device reports as; a weighbridge reports one entity per weighing. */
  readonly entityId?: string
  readonly role: Role
  /** Containers: the fraction and how it is collected. */
  readonly round?: FractionRound
  /** Containers: the registry's enrichment. */
  readonly container?: { readonly wasteFraction: StoredWasteKind; readonly containerVolumeM3: number; readonly containerType: string; readonly fullnessThreshold: number }
  readonly meterType?: MeterType
}

const containerVariants: readonly Variant[] = ['ngsi-ld-normalized', 'senml', 'iota-json', 'ultralight', 'ngsi-ld-keyvalues', 'ngsi-ld-concise']
const electricityVariants: readonly Variant[] = ['ngsi-ld-normalized', 'senml', 'ngsi-ld-keyvalues', 'iota-json']
const heatVariants: readonly Variant[] = ['ngsi-ld-concise', 'senml', 'ultralight']
const gasVariants: readonly Variant[] = ['iota-json', 'ultralight', 'ngsi-ld-normalized']
const weighbridgeVariants: readonly Variant[] = ['ngsi-ld-keyvalues', 'ngsi-ld-normalized']

const entityTypeOf: Readonly<Record<DeviceKind, string>> = {
  waste_container: 'WasteContainer',
  energy_meter: 'ACMeasurement',
  heat_meter: 'SmartMeteringObservation',
  gas_meter: 'SmartMeteringObservation',
  weighing_device: 'WasteObserved',
  generic: 'DeviceMeasurement',
}

/** Roles of the containers, by (fraction, number within it): the first of each incident is scripted. */
function containerRole(fraction: StoredWasteKind, number: number): Role {
  if (number !== 1) return 'regular'
  if (fraction === 'paper') return 'burning'
  if (fraction === 'glass') return 'silent'
  if (fraction === 'plastic') return 'weak-battery'
  return 'regular'
}

/**
 * The fleet for a tenant: per unit of scale two containers of each fraction, two electricity
 * meters, a heat and a gas meter, and a weighbridge lane; plus one container the rounds miss.
 * Formats rotate so every wire format and NGSI-LD representation is in use. Ids are stable for a
 * given tenant and scale, so a restart finds the devices it registered before.
 */
export function planFleet(tenant: string, scale: number, seed: number): DevicePlan[] {
  const plans: DevicePlan[] = []
  const place = (id: string, site: Site): readonly [number, number] => {
    // A few hundred metres around the site, the same for the device on every run.
    const rng = rngFor(seed, `place:${id}`)
    return [round(site.lon + rng.between(-0.004, 0.004), 5), round(site.lat + rng.between(-0.003, 0.003), 5)]
  }
  const add = (plan: Omit<DevicePlan, 'coordinates' | 'entityType' | 'entityId'>, site: Site): void => {
    const entityType = entityTypeOf[plan.kind]
    const reportsAsOneEntity = plan.kind !== 'weighing_device' && plan.variant.startsWith('ngsi-ld')
    plans.push({ ...plan, coordinates: place(plan.id, site), entityType, ...(reportsAsOneEntity ? { entityId: `urn:ngsi-ld:${entityType}:${tenant}:${plan.id}` } : {}) })
  }
  const two = (n: number): string => String(n).padStart(2, '0')

  let containerIndex = 0
  const addContainer = (round: FractionRound, number: number, role: Role): void => {
    const site = districts[containerIndex % districts.length]!
    const container = { wasteFraction: round.fraction, containerVolumeM3: round.containerVolumeM3, containerType: round.containerType, fullnessThreshold: round.fullnessThreshold }
    add({ id: `${tenant}-bin-${round.fraction}-${two(number)}`, kind: 'waste_container', variant: containerVariants[containerIndex % containerVariants.length]!, siteId: site.id, role, round, container }, site)
    containerIndex++
  }
  for (const round of fractionRounds) for (let n = 1; n <= 2 * scale; n++) addContainer(round, n, containerRole(round.fraction, n))
  // Number 00: the container the round does not reach (a blocked street), so it overflows.
  addContainer(fractionRounds[0]!, 0, 'overflowing')

  for (let n = 1; n <= 2 * scale; n++) {
    const site = buildings[(n - 1) % buildings.length]!
    add({ id: `${tenant}-elec-${two(n)}`, kind: 'energy_meter', variant: electricityVariants[(n - 1) % electricityVariants.length]!, siteId: site.id, role: n === 1 ? 'swapped-meter' : 'regular', meterType: 'electricity' }, site)
  }
  for (let n = 1; n <= scale; n++) {
    const site = buildings[(n - 1) % buildings.length]!
    add({ id: `${tenant}-heat-${two(n)}`, kind: 'heat_meter', variant: heatVariants[(n - 1) % heatVariants.length]!, siteId: site.id, role: 'regular', meterType: 'heat' }, site)
    add({ id: `${tenant}-gas-${two(n)}`, kind: 'gas_meter', variant: gasVariants[(n - 1) % gasVariants.length]!, siteId: site.id, role: 'regular', meterType: 'gas' }, site)
  }
  for (let n = 1; n <= scale; n++) {
    add({ id: `${tenant}-weighbridge-${two(n)}`, kind: 'weighing_device', variant: weighbridgeVariants[(n - 1) % weighbridgeVariants.length]!, siteId: recyclingCentre.id, role: 'regular' }, recyclingCentre)
  }
  return plans
}
