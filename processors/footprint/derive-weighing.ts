import type { Point } from '../../core/store/store.js'
import type { Weighing } from '../../models/weighings.js'
import { contribute } from './rollups.js'
import type { DeviceState } from './state.js'

/** Material flows at a weighbridge or scale (M6, M8–M13 inputs): mass per fraction, direction and destination. */
export function deriveMaterialFlow(state: DeviceState, tags: Readonly<Record<string, string>>, w: Weighing): Point[] {
  const dims = { fraction: w.fraction, direction: w.direction, destination: w.destination ?? 'none' }
  return contribute(state, tags, { measurement: 'material_flow_rollup', dims, time: w.time, add: { mass_kg: w.netKg, weighings: 1 } })
}
