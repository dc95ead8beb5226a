import { commonMetadata, deviceHealth, iotAgentTimes, type EntityDeclaration } from './declaration.js'

/** dataModel.Device Device, schema v0.0.9: registry data plus the sensor's own health (data-models §1.6). */
export const device: EntityDeclaration = {
  blocks: [
    deviceHealth,
    {
      measurement: 'device_health',
      readings: {
        // Free text in the schema ("vendor dependent").
        deviceState: { valueType: 'string', field: 'device_state' },
        dateLastValueReported: { valueType: 'datetime', field: 'last_value_reported' },
      },
    },
  ],
  metadata: [
    ...commonMetadata,
    'controlledProperty',
    'controlledAsset',
    'category',
    'deviceCategory',
    'supportedProtocol',
    'serialNumber',
    'refDeviceModel',
    'firmwareVersion',
    'softwareVersion',
    'hardwareVersion',
    'osVersion',
    'dateInstalled',
    'dateFirstUsed',
    'dateManufactured',
    'dateLastCalibration',
    'macAddress',
    'ipAddress',
    'mcc',
    'mnc',
    'configuration',
    'provider',
    'value',
  ],
  timeAttributes: ['dateObserved', ...iotAgentTimes],
}

/** dataModel.Device DeviceMeasurement, schema v0.1.0: the generic fallback, one value per entity. */
export const deviceMeasurement: EntityDeclaration = {
  blocks: [
    {
      measurement: 'generic_measurement',
      readings: {
        numValue: { valueType: 'number', field: 'value', unitAttribute: 'unit' },
        textValue: { valueType: 'string', field: 'text_value' },
        outlier: { valueType: 'boolean', field: 'outlier' },
      },
    },
    deviceHealth,
  ],
  metadata: [...commonMetadata, 'controlledProperty', 'unit', 'measurementType', 'deviceType', 'refDevice'],
  timeAttributes: ['dateObserved', ...iotAgentTimes],
}

/**
 * dataModel.Device SmartMeteringObservation, schema v0.0.2 (data-models §1.6): the register
 * totals of a utility meter, here the district-heat and natural-gas meters. The schema asks for
 * `KWH` for energy and `LTR` or `MTQ` for gases and liquids; the unit's quantity picks the field,
 * so a heat meter's kWh and a gas meter's m³ are stored as they were metered — no calorific value
 * is assumed to turn gas volume into energy. Without a unit, the registered meter type decides:
 * electricity and heat in kWh, gas and water in m³. The registers are cumulative since
 * installation, hence never negative. The schema has no observation time of its own; `dateObserved`
 * is accepted like in the other models, `observedAt` takes precedence.
 */
export const smartMeteringObservation: EntityDeclaration = {
  blocks: [
    {
      measurement: 'utility_meter',
      readings: {
        totalConsumption: {
          valueType: 'number',
          field: 'total_consumption_kwh',
          quantity: 'energy',
          alternatives: { volume: 'total_consumption_m3' },
          defaultUnitByMeterType: { electricity: 'KWH', heat: 'KWH', gas: 'MTQ', water: 'MTQ' },
          min: 0,
          register: true,
        },
        peakConsumption: {
          valueType: 'number',
          field: 'peak_consumption_kwh',
          quantity: 'energy',
          alternatives: { volume: 'peak_consumption_m3' },
          defaultUnitByMeterType: { electricity: 'KWH', heat: 'KWH', gas: 'MTQ', water: 'MTQ' },
          min: 0,
          register: true,
        },
        offPeakConsumption: {
          valueType: 'number',
          field: 'off_peak_consumption_kwh',
          quantity: 'energy',
          alternatives: { volume: 'off_peak_consumption_m3' },
          defaultUnitByMeterType: { electricity: 'KWH', heat: 'KWH', gas: 'MTQ', water: 'MTQ' },
          min: 0,
          register: true,
        },
        powerFactor: { valueType: 'number', field: 'power_factor', quantity: 'ratio', defaultUnit: 'C62', min: -1, max: 1 },
      },
    },
    deviceHealth,
  ],
  // `meterType` is free text in the schema (Electricity, Gasoline, Water, …); the registered
  // meter type is what the platform tags and computes with.
  metadata: [...commonMetadata, 'meterType', 'refDevice', 'entityVersion'],
  timeAttributes: ['dateObserved', ...iotAgentTimes],
}
