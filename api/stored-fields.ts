import { storedFields } from '../models/catalogue.js'

/**
 * What is stored, as the API needs it: the measurements a device's readings can land in and the
 * unit of each field. Derived once from the model catalogue, so a new attribute there shows up
 * here without another list to keep in step.
 */

/** `measurement/field` → canonical unit; text, flags and unit-less numbers map to ''. */
const unitByField = new Map(storedFields.map((f) => [`${f.measurement}/${f.field}`, f.unit]))

/** Every measurement a device's readings can be stored in. */
export const storedMeasurements: readonly string[] = [...new Set(storedFields.map((f) => f.measurement))].sort()

/** Every field name a measurement can hold. */
export const storedFieldNames: ReadonlySet<string> = new Set(storedFields.map((f) => f.field))

/** The canonical unit of a stored value: `kg`, `kWh`, `W`, `Cel`, `ratio`, `ppm`, `m3`, … or ''. */
export function unitOf(measurement: string, field: string): string {
  return unitByField.get(`${measurement}/${field}`) ?? ''
}
