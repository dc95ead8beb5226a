import { PlatformError } from '../../models/errors.js'
import { registryFile, type Device, type RegistryFile } from './device.js'
import { WatchedJsonFile } from './json-file.js'
import type { DeviceRegistry } from './registry.js'

/**
 * The device registry kept in one JSON file. Several processes read it (broker, normaliser, API)
 * and pick up changes made by `circular devices add` without a restart; every change is made
 * under the file's lock on its newest content (see `WatchedJsonFile`), so concurrent writers in
 * several processes lose nothing, and a removed device is never written back by another's add.
 */
export class FileRegistry implements DeviceRegistry {
  private readonly file: WatchedJsonFile<RegistryFile>
  /** The id index of the content it was built from; rebuilt when the file brings new content. */
  private index: { readonly of: RegistryFile; readonly byId: ReadonlyMap<string, Device> } | undefined

  constructor(path: string) {
    this.file = new WatchedJsonFile(path, registryFile, () => ({ version: 1, devices: [] }), 'REGISTRY_INVALID')
  }

  /** A device not seen yet makes it check the file at once, so one just registered elsewhere can connect. */
  get(id: string): Device | undefined {
    return this.byId(this.file.read()).get(id) ?? this.byId(this.file.readCurrent()).get(id)
  }

  list(): readonly Device[] {
    return this.file.read().devices
  }

  /**
   * Adds a device and writes the file; refuses an id that exists already. `admit` sees the
   * registry as read just before the write and throws to refuse the device (a tenant's limit).
   */
  add(device: Device, options: { admit?: (current: readonly Device[]) => void } = {}): void {
    this.file.update((current) => {
      if (this.byId(current).has(device.id)) throw new PlatformError('DEVICE_EXISTS', `device "${device.id}" is already registered`, { deviceId: device.id })
      options.admit?.(current.devices)
      return { version: 1, devices: [...current.devices, device] }
    })
  }

  upgradeSecretHashes(changes: readonly { readonly id: string; readonly from: string; readonly to: string }[]): number {
    const byId = new Map(changes.map((c) => [c.id, c]))
    let replaced = 0
    this.file.update((current) => {
      const devices = current.devices.map((d) => {
        const change = byId.get(d.id)
        if (change === undefined || d.secretHash !== change.from) return d
        replaced++
        return { ...d, secretHash: change.to }
      })
      return replaced > 0 ? { version: 1, devices } : undefined
    })
    return replaced
  }

  /** Removes a device; returns whether it existed. */
  remove(id: string): boolean {
    return this.take(id) !== undefined
  }

  /** Removes a device and returns it as it was registered; undefined when there was none or `admit` refuses it. */
  take(id: string, admit: (device: Device) => boolean = () => true): Device | undefined {
    let taken: Device | undefined
    this.file.update((current) => {
      const existing = this.byId(current).get(id)
      if (existing === undefined || !admit(existing)) return undefined
      taken = existing
      return { version: 1, devices: current.devices.filter((d) => d.id !== id) }
    })
    return taken
  }

  private byId(content: RegistryFile): ReadonlyMap<string, Device> {
    if (this.index?.of !== content) this.index = { of: content, byId: new Map(content.devices.map((d) => [d.id, d])) }
    return this.index.byId
  }
}
