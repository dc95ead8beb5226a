import type { Device } from './device.js'

/** Read access to registered devices, as the broker, the processors and the API need it. */
export interface DeviceRegistry {
  get(id: string): Device | undefined
  list(): readonly Device[]
  /**
   * Replaces secret hashes where the device still has the one given (`from`), in one change;
   * returns how many were replaced. Where the registry can be written.
   */
  upgradeSecretHashes?(changes: readonly { readonly id: string; readonly from: string; readonly to: string }[]): number
}
