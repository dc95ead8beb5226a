import { phaseTypes } from '../vocabulary.js'
import { commonMetadata, deviceHealth, iotAgentTimes, type EntityDeclaration } from './declaration.js'

const phases = ['L1', 'L2', 'L3']
const phasesAndNeutral = ['L1', 'L2', 'L3', 'N']
const betweenPhases = ['L12', 'L23', 'L31']

/**
 * dataModel.Energy ACMeasurement, schema v0.0.1 (data-models §1.5): single- and three-phase AC
 * meters. Per-phase quantities are StructuredValues `{L1, L2, L3}` (+ `N` for current, `L12`,
 * `L23`, `L31` between phases), stored one field per phase (data-models §8.3 `energy_ac`). Units
 * and ranges are the schema's: energies in kWh, kvarh, kVAh and never negative; powers in W, var,
 * VA; power factors −1..1; THD 0..1. Per-phase active and apparent power are ≥ 0 in the schema,
 * the totals may be negative (export).
 */
export const acMeasurement: EntityDeclaration = {
  blocks: [
    {
      measurement: 'energy_ac',
      readings: {
        phaseType: { valueType: 'string', field: 'phase_type', allowed: phaseTypes },
        frequency: { valueType: 'number', field: 'frequency_hz', quantity: 'frequency', defaultUnit: 'HTZ', min: 0 },

        totalActivePower: { valueType: 'number', field: 'total_active_power_w', quantity: 'power', defaultUnit: 'WTT' },
        totalReactivePower: { valueType: 'number', field: 'total_reactive_power_var', quantity: 'reactive_power', defaultUnit: 'D44' },
        totalApparentPower: { valueType: 'number', field: 'total_apparent_power_va', quantity: 'apparent_power', defaultUnit: 'D46', min: 0 },
        activePower: { valueType: 'number', field: 'active_power_{phase}_w', phases, quantity: 'power', defaultUnit: 'WTT', min: 0 },
        reactivePower: { valueType: 'number', field: 'reactive_power_{phase}_var', phases, quantity: 'reactive_power', defaultUnit: 'D44' },
        apparentPower: { valueType: 'number', field: 'apparent_power_{phase}_va', phases, quantity: 'apparent_power', defaultUnit: 'D46', min: 0 },

        totalActiveEnergyImport: { valueType: 'number', field: 'total_active_energy_import_kwh', quantity: 'energy', defaultUnit: 'KWH', min: 0, register: true },
        totalActiveEnergyExport: { valueType: 'number', field: 'total_active_energy_export_kwh', quantity: 'energy', defaultUnit: 'KWH', min: 0, register: true },
        totalReactiveEnergyImport: { valueType: 'number', field: 'total_reactive_energy_import_kvarh', quantity: 'reactive_energy', defaultUnit: 'K3', min: 0, register: true },
        totalReactiveEnergyExport: { valueType: 'number', field: 'total_reactive_energy_export_kvarh', quantity: 'reactive_energy', defaultUnit: 'K3', min: 0, register: true },
        totalApparentEnergyImport: { valueType: 'number', field: 'total_apparent_energy_import_kvah', quantity: 'apparent_energy', defaultUnit: 'C79', min: 0, register: true },
        totalApparentEnergyExport: { valueType: 'number', field: 'total_apparent_energy_export_kvah', quantity: 'apparent_energy', defaultUnit: 'C79', min: 0, register: true },
        activeEnergyImport: { valueType: 'number', field: 'active_energy_import_{phase}_kwh', phases, quantity: 'energy', defaultUnit: 'KWH', min: 0, register: true },
        activeEnergyExport: { valueType: 'number', field: 'active_energy_export_{phase}_kwh', phases, quantity: 'energy', defaultUnit: 'KWH', min: 0, register: true },
        reactiveEnergyImport: { valueType: 'number', field: 'reactive_energy_import_{phase}_kvarh', phases, quantity: 'reactive_energy', defaultUnit: 'K3', min: 0, register: true },
        reactiveEnergyExport: { valueType: 'number', field: 'reactive_energy_export_{phase}_kvarh', phases, quantity: 'reactive_energy', defaultUnit: 'K3', min: 0, register: true },
        apparentEnergyImport: { valueType: 'number', field: 'apparent_energy_import_{phase}_kvah', phases, quantity: 'apparent_energy', defaultUnit: 'C79', min: 0, register: true },
        apparentEnergyExport: { valueType: 'number', field: 'apparent_energy_export_{phase}_kvah', phases, quantity: 'apparent_energy', defaultUnit: 'C79', min: 0, register: true },

        current: { valueType: 'number', field: 'current_{phase}_a', phases: phasesAndNeutral, quantity: 'current', defaultUnit: 'AMP' },
        phaseVoltage: { valueType: 'number', field: 'phase_voltage_{phase}_v', phases, quantity: 'voltage', defaultUnit: 'VLT', min: 0 },
        phaseToPhaseVoltage: { valueType: 'number', field: 'phase_to_phase_voltage_{phase}_v', phases: betweenPhases, quantity: 'voltage', defaultUnit: 'VLT', min: 0 },

        powerFactor: { valueType: 'number', field: 'power_factor_{phase}', phases, quantity: 'ratio', defaultUnit: 'C62', min: -1, max: 1 },
        displacementPowerFactor: { valueType: 'number', field: 'displacement_power_factor_{phase}', phases, quantity: 'ratio', defaultUnit: 'C62', min: -1, max: 1 },
        totalPowerFactor: { valueType: 'number', field: 'total_power_factor', quantity: 'ratio', defaultUnit: 'C62', min: -1, max: 1 },
        totalDisplacementPowerFactor: { valueType: 'number', field: 'total_displacement_power_factor', quantity: 'ratio', defaultUnit: 'C62', min: -1, max: 1 },
        thdVoltage: { valueType: 'number', field: 'thd_voltage_{phase}', phases, quantity: 'ratio', defaultUnit: 'C62', min: 0, max: 1 },
        thdCurrent: { valueType: 'number', field: 'thd_current_{phase}', phases, quantity: 'ratio', defaultUnit: 'C62', min: 0, max: 1 },

        // Start of the cumulative registers: a later value means the meter was reset or swapped.
        dateEnergyMeteringStarted: { valueType: 'datetime', field: 'date_energy_metering_started' },
      },
    },
    deviceHealth,
  ],
  metadata: [...commonMetadata, 'refDevice', 'refTargetDevice', 'dateObservedFrom', 'dateObservedTo'],
  timeAttributes: ['dateObserved', ...iotAgentTimes],
}
