import type { DecodeResult, Rejection } from './decoding.js'
import type { CanonicalReading } from './reading.js'
import { reject } from './rejections.js'

/**
 * Rules across the attributes of one observation, which no single attribute can check: the
 * readings of one measurement, entity and instant are checked together after decoding, whatever
 * the format, and the readings that break a rule become rejections naming themselves.
 */

type Rule = (observation: ReadonlyMap<string, CanonicalReading>) => Rejection[]

/**
 * WasteObserved: a weighbridge computes the net as gross − tare (data-models §1.4), so the tare
 * cannot exceed the gross and the three must agree, both to within the display rounding, taken as
 * 1 kg or 0.1 % of the gross, whichever is larger; when they do not, none of them can be trusted.
 * A destination belongs to an outflow only.
 */
const wasteWeighing: Rule = (observation) => {
  const rejections: Rejection[] = []
  const net = numberOf(observation.get('weight'))
  const gross = numberOf(observation.get('grossWeight'))
  const tare = numberOf(observation.get('tareWeight'))
  if (gross !== undefined && tare !== undefined) {
    const tolerance = Math.max(1, gross * 0.001)
    const fault =
      tare - gross > tolerance
        ? `tareWeight ${tare} kg exceeds grossWeight ${gross} kg`
        : net !== undefined && Math.abs(net - (gross - tare)) > tolerance
          ? `weight ${net} kg is not grossWeight − tareWeight = ${gross} − ${tare} = ${gross - tare} kg`
          : undefined
    if (fault !== undefined) {
      for (const attribute of ['weight', 'grossWeight', 'tareWeight']) {
        if (observation.has(attribute)) rejections.push(reject('VALUE_OUT_OF_RANGE', `${attribute} refused: ${fault}`, attribute))
      }
    }
  }
  const destination = observation.get('destination')
  if (destination !== undefined && observation.get('direction')?.value !== 'out') {
    rejections.push(reject('VALUE_INVALID', `destination ${String(destination.value)} is given only for an outflow, and this weighing has no direction "out"`, 'destination'))
  }
  return rejections
}

const rules: Readonly<Record<string, Rule>> = { waste_weighing: wasteWeighing }

function numberOf(reading: CanonicalReading | undefined): number | undefined {
  return typeof reading?.value === 'number' ? reading.value : undefined
}

/** The result with every reading that breaks a rule moved to the rejections. */
export function applyInvariants(result: DecodeResult): DecodeResult {
  let checked = false
  for (const reading of result.readings) {
    if (Object.hasOwn(rules, reading.measurement)) {
      checked = true
      break
    }
  }
  if (!checked) return result

  const observations = new Map<string, Map<string, CanonicalReading>>()
  for (const reading of result.readings) {
    if (!Object.hasOwn(rules, reading.measurement)) continue
    const key = `${reading.measurement}\u0000${reading.entityId ?? ''}\u0000${reading.time}`
    let observation = observations.get(key)
    if (observation === undefined) observations.set(key, (observation = new Map<string, CanonicalReading>()))
    observation.set(reading.attribute, reading)
  }
  const refused = new Set<CanonicalReading>()
  const rejections: Rejection[] = []
  for (const observation of observations.values()) {
    const first = observation.values().next().value as CanonicalReading
    for (const rejection of (rules[first.measurement] as Rule)(observation)) {
      const reading = rejection.attribute === undefined ? undefined : observation.get(rejection.attribute)
      if (reading !== undefined) refused.add(reading)
      rejections.push(rejection)
    }
  }
  if (rejections.length === 0) return result
  return { ...result, readings: result.readings.filter((r) => !refused.has(r)), rejections: [...result.rejections, ...rejections] }
}
