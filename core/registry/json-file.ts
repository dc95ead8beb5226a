import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { z } from 'zod'
import { PlatformError, type ErrorCode } from '../../models/errors.js'

/** How often at most the file's modification time is checked; readers see other processes' changes within this. */
const recheckIntervalMs = 1000

/**
 * A small JSON document kept in one file that several processes share (the CLI writes, the API
 * and the broker read). Reads pick up changes without a restart; writes replace the file
 * atomically, readable by the owner only, so a reader never sees half of one.
 */
export class WatchedJsonFile<T> {
  private value: T
  private loadedMtimeMs = -1
  private lastCheck = 0

  constructor(
    readonly path: string,
    private readonly schema: z.ZodType<T>,
    private readonly empty: () => T,
    private readonly invalidCode: ErrorCode,
  ) {
    this.value = empty()
    this.reload(true)
  }

  read(): T {
    this.reload(false)
    return this.value
  }

  /** Reads the newest content, for a read-modify-write. */
  readFresh(): T {
    this.reload(true)
    return this.value
  }

  /** As `read`, checking the file now instead of within the interval (e.g. for an id not seen yet); parses only if it changed. */
  readCurrent(): T {
    this.lastCheck = 0
    return this.read()
  }

  write(value: T): void {
    const checked = this.schema.parse(value)
    mkdirSync(dirname(this.path), { recursive: true })
    const temporary = `${this.path}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify(checked, null, 2) + '\n', { mode: 0o600 })
    renameSync(temporary, this.path)
    this.reload(true)
  }

  private reload(force: boolean): void {
    const now = Date.now()
    if (!force && now - this.lastCheck < recheckIntervalMs) return
    this.lastCheck = now
    let mtimeMs: number
    try {
      mtimeMs = statSync(this.path).mtimeMs
    } catch {
      this.value = this.empty()
      this.loadedMtimeMs = -1
      return
    }
    if (mtimeMs === this.loadedMtimeMs && !force) return
    this.value = this.parse()
    this.loadedMtimeMs = mtimeMs
  }

  private parse(): T {
    let raw: unknown
    try {
      raw = JSON.parse(readFileSync(this.path, 'utf8'))
    } catch (error) {
      throw new PlatformError(this.invalidCode, `cannot read ${this.path}: ${(error as Error).message}`, { path: this.path })
    }
    const parsed = this.schema.safeParse(raw)
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')
      throw new PlatformError(this.invalidCode, `${this.path} is invalid: ${problems}`, { path: this.path })
    }
    return parsed.data
  }
}
