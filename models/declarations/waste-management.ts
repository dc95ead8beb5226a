import { flowDestinations, flowDirections, normaliseWasteCode, storedWasteKinds, storedWasteOrigins, wasteContainerStatuses } from '../vocabulary.js'
import { commonMetadata, deviceHealth, iotAgentTimes, type EntityDeclaration } from './declaration.js'

/** dataModel.WasteManagement WasteContainer, schema v0.3.0; units from the 2019 spec's conventions (data-models §1.1). */
export const wasteContainer: EntityDeclaration = {
  blocks: [
    {
      measurement: 'waste_container',
      readings: {
        fillingLevel: { valueType: 'number', field: 'filling_level', quantity: 'ratio', defaultUnit: 'C62', min: 0, max: 1 },
        cargoWeight: { valueType: 'number', field: 'cargo_weight_kg', quantity: 'mass', defaultUnit: 'KGM', min: 0, max: 100_000 },
        // Up to 1200 °C so that a burning container is still recorded, not refused.
        temperature: { valueType: 'number', field: 'temperature_c', quantity: 'temperature', defaultUnit: 'CEL', min: -60, max: 1200 },
        // The 2019 spec says µg/m³, but sensors report ppm and µg/m³ cannot be converted without
        // the gas's molar mass, so ppm is the convention here; µg/m³ senders are refused.
        methaneConcentration: { valueType: 'number', field: 'methane_ppm', quantity: 'concentration', defaultUnit: '59', min: 0 },
        status: { valueType: 'string', field: 'status', allowed: wasteContainerStatuses },
        // Not an SDM attribute: SenML lid switches report it (data-models §3.3, §8.3 `lid_open`).
        lidOpen: { valueType: 'boolean', field: 'lid_open' },
        // Kept as telemetry so a change (an emptying) can be detected downstream (§8.3 `emptied`).
        dateLastEmptying: { valueType: 'datetime', field: 'date_last_emptying' },
      },
    },
    deviceHealth,
  ],
  metadata: [
    ...commonMetadata,
    'category',
    'storedWasteKind',
    'storedWasteOrigin',
    'storedWasteCode',
    'nextActuationDeadline',
    'dateLastCleaning',
    'nextCleaningDeadline',
    'dateServiceStarted',
    'actuationHours',
    'refWasteContainerModel',
    'refWasteContainerIsle',
    'isleId',
    'refDevice',
    'serialNumber',
    'regulation',
    'responsible',
    'binCapacity',
    'binFullnessThreshold',
    'fullnessThreshold',
    'binMaxLoad',
    'binRecommendedLoad',
    'binColor',
    'binId',
    'wardId',
    'license_plate',
    'RFID',
  ],
  timeAttributes: ['dateObserved', 'binLoggedTime', ...iotAgentTimes],
}

/**
 * dataModel.WasteManagement WasteObserved, schema v0.0.1: one weighing at a weighbridge or scale
 * (data-models §1.4), weights in kg as the schema states.
 *
 * Local extension (the official model has no material or flow attributes, data-models §1.4 and
 * §8.5): `storedWasteCode` (EU List of Waste code) and `storedWasteKind` / `storedWasteOrigin`,
 * borrowed with their WasteContainer meaning and enums, say what was weighed; `direction` (`in`,
 * `out`) and `destination` (`reuse`, `recycling`, `composting`, `energy_recovery`, `landfill`,
 * outflows only) say where it went — what material-flow accounting needs (footprint-metrics §3.5).
 */
export const wasteObserved: EntityDeclaration = {
  blocks: [
    {
      measurement: 'waste_weighing',
      readings: {
        weight: { valueType: 'number', field: 'net_weight_kg', quantity: 'mass', defaultUnit: 'KGM', min: 0, max: 100_000 },
        grossWeight: { valueType: 'number', field: 'gross_weight_kg', quantity: 'mass', defaultUnit: 'KGM', min: 0, max: 100_000 },
        tareWeight: { valueType: 'number', field: 'tare_weight_kg', quantity: 'mass', defaultUnit: 'KGM', min: 0, max: 100_000 },
        storedWasteCode: { valueType: 'string', field: 'waste_code', normalise: normaliseWasteCode, expected: 'a List of Waste code such as "20 01 39" or "200133*"' },
        storedWasteKind: { valueType: 'string', field: 'stored_waste_kind', allowed: storedWasteKinds },
        storedWasteOrigin: { valueType: 'string', field: 'stored_waste_origin', allowed: storedWasteOrigins },
        direction: { valueType: 'string', field: 'direction', allowed: flowDirections },
        destination: { valueType: 'string', field: 'destination', allowed: flowDestinations },
      },
    },
    deviceHealth,
  ],
  metadata: [...commonMetadata, 'refGarbageTruck', 'refWeighingDevice', 'refServiceOrderId'],
  timeAttributes: ['dateObserved', ...iotAgentTimes],
}
