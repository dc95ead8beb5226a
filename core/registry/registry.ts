import type { Device } from './device.js'

/** Read access to registered devices, as the broker, the processors and the API need it. */
export interface DeviceRegistry {
  get(id: string): Device | undefined
  list(): readonly Device[]
}
