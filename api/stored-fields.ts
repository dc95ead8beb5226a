import { entityTypes, lookupEntityModel } from '../models/catalogue.js'
import { canonicalUnits } from '../models/units.js'

/**
 * What is stored, as the API needs it: the measurements a device's readings can land in and the
 * unit of each field. Derived once from the model catalogue, so a new attribute there shows up
 * here without another list to keep in step.
 */

/** `measurement/field` → canonical unit; text, flags and unit-less numbers map to ''. */
const unitByField = new Map<string, string>()
const measurements = new Set<string>()
const fields = new Set<string>()

for (const type of entityTypes) {
  for (const spec of lookupEntityModel(type)?.attributes.values() ?? []) {
    if (spec.role !== 'reading') continue
    measurements.add(spec.measurement)
    fields.add(spec.field)
    const unit = spec.valueType === 'number' && spec.quantity !== undefined ? canonicalUnits[spec.quantity] : ''
    unitByField.set(`${spec.measurement}/${spec.field}`, unit)
  }
}

/** Every measurement a device's readings can be stored in. */
export const storedMeasurements: readonly string[] = [...measurements].sort()

/** Every field name a measurement can hold. */
export const storedFieldNames: ReadonlySet<string> = fields

/** The canonical unit of a stored value: `kg`, `kWh`, `W`, `Cel`, `ratio`, `ppm`, `m3`, … or ''. */
export function unitOf(measurement: string, field: string): string {
  return unitByField.get(`${measurement}/${field}`) ?? ''
}
