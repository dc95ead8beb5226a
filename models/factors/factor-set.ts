import { z } from 'zod'

/** Where a factor comes from: enough to find it again and to judge whether it fits a report. */
export const factorSource = z.object({
  publisher: z.string().min(1),
  dataset: z.string().min(1),
  /** The year the factor describes (activity year), not the year it was read. */
  year: z.number().int().min(1990).max(2100),
  url: z.string().url(),
  /** `primary` read at the publisher; `transcription` copied by a third party; `derived` computed from sourced numbers. */
  provenance: z.enum(['primary', 'transcription', 'derived']),
  /** Gas basis and boundary, e.g. "CO2e AR5, combustion, per kWh generated". */
  basis: z.string().min(1),
})
export type FactorSource = z.infer<typeof factorSource>

const factor = z.object({ value: z.number().nonnegative(), source: factorSource })

/** Waste fractions of the factor tables, named as in Smart Data Models `storedWasteKind`. */
export const wasteFractions = ['paper', 'glass', 'plastic', 'metal', 'organic', 'electronics', 'batteries', 'textile', 'wood', 'inorganic', 'hazardous', 'oil', 'other'] as const
export const wasteFraction = z.enum(wasteFractions)
export type WasteFraction = z.infer<typeof wasteFraction>

/** Treatment routes (destinations of a weighed outflow), as in the WasteObserved local extension. */
export const treatmentRoutes = ['reuse', 'recycling', 'composting', 'energy_recovery', 'landfill'] as const
export const treatmentRoute = z.enum(treatmentRoutes)
export type TreatmentRoute = z.infer<typeof treatmentRoute>

/**
 * One versioned set of emission factors. CO2e is computed from stored kWh, m3 and kg with the set
 * a request names (default: the newest), so a new set applies to past data without reprocessing.
 */
export const factorSet = z.object({
  version: z.string().regex(/^\d{4}\.\d+$/),
  description: z.string().min(1),
  /** Location-based grid electricity, kg CO2e per kWh, by ISO 3166-1 alpha-2 country code. */
  electricity: z.record(z.string().regex(/^[A-Z]{2}$/), factor),
  /** Natural gas, kg CO2e per kWh on gross calorific value and per m3. */
  naturalGas: z.object({ perKwhGcv: factor, perM3: factor }),
  /** District heat, kg CO2e per kWh delivered (national default until the network's own factor is configured). */
  districtHeat: factor,
  /** Inventory (attributional) treatment factors, kg CO2e per tonne, by fraction and route; absent = none published. */
  wasteTreatment: z.object({ source: factorSource, perTonne: z.partialRecord(wasteFraction, z.partialRecord(treatmentRoute, z.number().nonnegative())) }),
  /** Indicative avoided emissions per tonne sent to recycling or re-use; never netted with treatment. */
  avoidedIndicative: z.object({ source: factorSource, perTonne: z.partialRecord(wasteFraction, z.partialRecord(z.enum(['recycling', 'reuse']), z.number().nonnegative())) }),
})
export type FactorSet = z.infer<typeof factorSet>
