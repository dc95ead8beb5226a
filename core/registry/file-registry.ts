import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { PlatformError } from '../errors.js'
import { registryFile, type Device, type RegistryFile } from './device.js'
import type { DeviceRegistry } from './registry.js'

/** How often at most the file's modification time is checked; readers see changes within this. */
const recheckIntervalMs = 1000

/**
 * The device registry kept in one JSON file. Several processes read it (broker, normaliser, API)
 * and pick up changes made by `circular devices add` without a restart; writes replace the file
 * atomically so a reader never sees half of one.
 */
export class FileRegistry implements DeviceRegistry {
  private byId = new Map<string, Device>()
  private loadedMtimeMs = -1
  private lastCheck = 0

  constructor(private readonly path: string) {
    this.reloadIfChanged(true)
  }

  get(id: string): Device | undefined {
    this.reloadIfChanged(false)
    return this.byId.get(id)
  }

  list(): readonly Device[] {
    this.reloadIfChanged(false)
    return [...this.byId.values()]
  }

  /**
   * Adds a device and writes the file; refuses an id that exists already. `admit` sees the
   * registry as read just before the write and throws to refuse the device (a tenant's limit).
   */
  add(device: Device, options: { admit?: (current: readonly Device[]) => void } = {}): void {
    this.reloadIfChanged(true)
    if (this.byId.has(device.id)) throw new PlatformError('DEVICE_EXISTS', `device "${device.id}" is already registered`, { deviceId: device.id })
    options.admit?.([...this.byId.values()])
    this.save([...this.byId.values(), device])
  }

  /** Removes a device; returns whether it existed. */
  remove(id: string): boolean {
    return this.take(id) !== undefined
  }

  /** Removes a device and returns it as it was registered; undefined when there was none or `admit` refuses it. */
  take(id: string, admit: (device: Device) => boolean = () => true): Device | undefined {
    this.reloadIfChanged(true)
    const existing = this.byId.get(id)
    if (existing === undefined || !admit(existing)) return undefined
    this.byId.delete(id)
    this.save([...this.byId.values()])
    return existing
  }

  private save(devices: Device[]): void {
    const content: RegistryFile = { version: 1, devices }
    mkdirSync(dirname(this.path), { recursive: true })
    const temporary = `${this.path}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 })
    renameSync(temporary, this.path)
    this.reloadIfChanged(true)
  }

  private reloadIfChanged(force: boolean): void {
    const now = Date.now()
    if (!force && now - this.lastCheck < recheckIntervalMs) return
    this.lastCheck = now
    let mtimeMs: number
    try {
      mtimeMs = statSync(this.path).mtimeMs
    } catch {
      this.byId = new Map()
      this.loadedMtimeMs = -1
      return
    }
    if (mtimeMs === this.loadedMtimeMs && !force) return
    this.byId = new Map(readRegistryFile(this.path).devices.map((d) => [d.id, d]))
    this.loadedMtimeMs = mtimeMs
  }
}

function readRegistryFile(path: string): RegistryFile {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new PlatformError('REGISTRY_INVALID', `cannot read device registry ${path}: ${(error as Error).message}`, { path })
  }
  const parsed = registryFile.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
    throw new PlatformError('REGISTRY_INVALID', `device registry ${path} is invalid: ${problems}`, { path })
  }
  return parsed.data
}
