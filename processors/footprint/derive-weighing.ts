import type { Point } from '../../core/store/store.js'
import { contribute } from './rollups.js'
import type { DeviceState } from './state.js'

export interface Weighing {
  readonly netKg: number
  readonly time: number
  readonly fraction: string
  readonly direction: 'in' | 'out'
  /** Where an outflow goes (reuse, recycling, composting, energy_recovery, landfill); inflows have none. */
  readonly destination?: string
}

/** Material flows at a weighbridge or scale (M6, M8–M13 inputs): mass per fraction, direction and destination. */
export function deriveMaterialFlow(state: DeviceState, tags: Readonly<Record<string, string>>, w: Weighing): Point[] {
  const dims = { fraction: w.fraction, direction: w.direction, destination: w.destination ?? 'none' }
  return contribute(state, tags, { measurement: 'material_flow_rollup', dims, time: w.time, add: { mass_kg: w.netKg, weighings: 1 } })
}
