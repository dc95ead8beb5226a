import { z } from 'zod'

/**
 * The closed vocabularies the data models use: the Smart Data Models enums the platform reads,
 * and the values of its own local extensions. One place, so the catalogue, the registry and the
 * storage tags agree on every spelling.
 */

/** SDM WasteContainer `storedWasteKind` (dataModel.WasteManagement schema v0.3.0; data-models §1.1). */
export const storedWasteKinds = ['organic', 'inorganic', 'glass', 'oil', 'plastic', 'metal', 'paper', 'batteries', 'electronics', 'hazardous', 'other'] as const
export const storedWasteKind = z.enum(storedWasteKinds)
export type StoredWasteKind = z.infer<typeof storedWasteKind>

/** SDM WasteContainer `storedWasteOrigin` (data-models §1.1). */
export const storedWasteOrigins = ['household', 'municipal', 'industrial', 'construction', 'hostelry', 'agriculture', 'other'] as const

/** SDM WasteContainer `status` (data-models §1.1). */
export const wasteContainerStatuses = ['ok', 'lidOpen', 'dropped', 'moved', 'vandalized', 'burning', 'unknown'] as const

/**
 * Local extension of WasteObserved, which has no flow attributes (data-models §1.4): whether the
 * weighed load came into the site or left it (footprint-metrics §3.5 inflow/outflow)…
 */
export const flowDirections = ['in', 'out'] as const
export type FlowDirection = (typeof flowDirections)[number]

/** …and, for an outflow, the operation it goes to (footprint-metrics §3.5, M8–M13). */
export const flowDestinations = ['reuse', 'recycling', 'composting', 'energy_recovery', 'landfill'] as const
export type FlowDestination = (typeof flowDestinations)[number]

/** ACMeasurement `phaseType` (dataModel.Energy, data-models §1.5). */
export const phaseTypes = ['singlePhase', 'threePhase'] as const

/** What a utility meter meters; decides the unit of a register that arrives without one. */
export const meterTypes = ['electricity', 'heat', 'gas', 'water'] as const
export const meterType = z.enum(meterTypes)
export type MeterType = z.infer<typeof meterType>

// EU List of Waste (Commission Decision 2000/532/EC): six digits in three pairs, an asterisk
// marking hazardous entries. Spaces between the pairs are optional on input.
const wasteCodePattern = /^(\d{2}) ?(\d{2}) ?(\d{2})(\*?)$/

/** An EWC / List of Waste code in its printed form (`20 01 39`, `20 01 33*`), or undefined. */
export function normaliseWasteCode(text: string): string | undefined {
  const m = wasteCodePattern.exec(text.trim())
  return m === null ? undefined : `${m[1]} ${m[2]} ${m[3]}${m[4]}`
}
