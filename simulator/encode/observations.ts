import type { ContainerObservation } from '../models/container.js'
import type { MeterObservation } from '../models/meter.js'
import type { Weighing } from '../models/weighbridge.js'
import { round } from '../numbers.js'
import { number, text, type Measure } from './measure.js'

/** Joules per kWh: SenML carries energy registers as sums of power over seconds (RFC 8428 §4.2). */
const joulesPerKwh = 3_600_000

/** WasteContainer (dataModel.WasteManagement) with the sensor's battery (dataModel.Device). */
export function containerMeasures(o: ContainerObservation): Measure[] {
  return [
    number('fillingLevel', o.fill, 'C62', { u: '/', v: o.fill }),
    number('temperature', o.temperatureC, 'CEL', { u: 'Cel', v: o.temperatureC }),
    number('cargoWeight', o.cargoKg, 'KGM', { u: 'kg', v: o.cargoKg }),
    text('status', o.status),
    number('batteryLevel', o.battery, 'C62', { n: 'battery', u: '%EL', v: round(o.battery * 100, 1) }),
  ]
}

/** ACMeasurement (dataModel.Energy): the import register in kWh and the total active power in W. */
export function electricityMeasures(o: MeterObservation): Measure[] {
  const watts = round(o.ratePerHour * 1000, 1)
  return [
    number('totalActiveEnergyImport', o.register, 'KWH', { u: 'W', s: Math.round(o.register * joulesPerKwh) }),
    number('totalActivePower', watts, 'WTT', { u: 'W', v: watts }),
  ]
}

/** SmartMeteringObservation (dataModel.Device) of a district-heat meter: its register in kWh. */
export function heatMeasures(o: MeterObservation): Measure[] {
  return [number('totalConsumption', o.register, 'KWH', { u: 'W', s: Math.round(o.register * joulesPerKwh) })]
}

/** SmartMeteringObservation of a gas meter: its register in m³, never turned into energy. */
export function gasMeasures(o: MeterObservation): Measure[] {
  return [number('totalConsumption', o.register, 'MTQ', { u: 'm3', v: o.register })]
}

/** WasteObserved (dataModel.WasteManagement) with the platform's material-flow extension. */
export function weighingMeasures(w: Weighing): Measure[] {
  return [
    number('grossWeight', w.grossKg, 'KGM', { u: 'kg', v: w.grossKg }),
    number('tareWeight', w.tareKg, 'KGM', { u: 'kg', v: w.tareKg }),
    number('weight', w.netKg, 'KGM', { u: 'kg', v: w.netKg }),
    text('storedWasteKind', w.fraction),
    text('storedWasteCode', w.wasteCode),
    text('direction', w.direction),
    ...(w.destination !== undefined ? [text('destination', w.destination)] : []),
  ]
}
