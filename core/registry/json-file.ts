import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { lockSync } from 'proper-lockfile'
import type { z } from 'zod'
import { PlatformError, type ErrorCode } from '../../models/errors.js'

/** How often at most the file's modification time is checked; readers see other processes' changes within this. */
const recheckIntervalMs = 1000
/**
 * Longest a writer waits for another's change to the same file before giving up (FILE_LOCKED,
 * retryable). The wait blocks its process, so it is kept short: changes take milliseconds, and a
 * lock left by a process that died is taken only once it is stale, which a writer should not wait out.
 */
const lockWaitMs = 2000
/** A lock this old is taken to belong to a process that died holding it. */
const lockStaleMs = 10_000
const pause = new Int32Array(new SharedArrayBuffer(4))

/**
 * A small JSON document kept in one file that several processes share (the CLI and the API
 * write, the broker and the processors read). Reads pick up changes without a restart; writes
 * replace the file atomically, readable by the owner only, so a reader never sees half of one.
 * Every change is a read-modify-write under an exclusive lock (`proper-lockfile`: a lock
 * directory beside the file, created atomically on local and network file systems, and taken
 * over once older than 10 s, so a holder that died blocks nobody for long), so a change made by
 * another process in between is never overwritten: two writers adding devices both keep theirs,
 * and a removal stays removed.
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

  /** Replaces the whole content. */
  write(value: T): void {
    this.update(() => value)
  }

  /**
   * Changes the content as it is now: `change` sees the newest content while no other process can
   * change it, and returns the new content, or undefined to leave it as it is. Whatever `change`
   * throws is thrown, with nothing written.
   */
  update(change: (current: T) => T | undefined): void {
    mkdirSync(dirname(this.path), { recursive: true })
    const release = this.lock()
    try {
      this.reload(true)
      const next = change(this.value)
      if (next === undefined) return
      const checked = this.schema.parse(next)
      const temporary = `${this.path}.${process.pid}.tmp`
      writeFileSync(temporary, JSON.stringify(checked, null, 2) + '\n', { mode: 0o600 })
      renameSync(temporary, this.path)
      // What was just written, without reading it back.
      this.value = checked
      this.loadedMtimeMs = statSync(this.path).mtimeMs
      this.lastCheck = Date.now()
    } finally {
      release()
    }
  }

  /** Takes the file's lock, waiting (blocking, in short steps) while another process holds it. */
  private lock(): () => void {
    const deadline = Date.now() + lockWaitMs
    for (let attempt = 0; ; attempt++) {
      try {
        return lockSync(this.path, { realpath: false, stale: lockStaleMs, onCompromised: () => undefined })
      } catch (error) {
        if ((error as { code?: string }).code !== 'ELOCKED') throw error
        if (Date.now() > deadline) throw new PlatformError('FILE_LOCKED', `${this.path} is being changed by another process; try again`, { path: this.path })
        // Changes take milliseconds: a short, growing, jittered wait keeps writers from stepping in time.
        Atomics.wait(pause, 0, 0, Math.min(50, 2 + attempt) * (0.5 + Math.random()))
      }
    }
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
