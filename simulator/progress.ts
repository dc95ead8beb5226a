import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { z } from 'zod'

/**
 * How far a simulated city got, so that a restart resumes it instead of replaying its history
 * again with other timestamps (which the platform would rightly count as more readings).
 */
const progressFile = z.object({
  version: z.literal(1),
  tenant: z.string(),
  seed: z.number(),
  scale: z.number(),
  startAt: z.number(),
  historyHours: z.number(),
  /** Every message observed at or before this simulated time was acknowledged by the broker. */
  acknowledgedThrough: z.number(),
})
export type Progress = z.infer<typeof progressFile>

export function defaultProgressFile(registryFile: string): string {
  return join(dirname(registryFile), 'simulator-progress.json')
}

/** The saved progress of the same city (tenant, seed, scale); undefined for another city or none. */
export function loadProgress(path: string, city: { tenant: string; seed: number; scale: number }): Progress | undefined {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch {
    return undefined
  }
  const parsed = progressFile.safeParse(raw)
  if (!parsed.success) return undefined
  const p = parsed.data
  return p.tenant === city.tenant && p.seed === city.seed && p.scale === city.scale ? p : undefined
}

/** Replaces the file atomically, so a crash leaves the previous progress, never half of one. */
export function saveProgress(path: string, progress: Progress): void {
  mkdirSync(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(progress) + '\n')
  renameSync(temporary, path)
}

/**
 * The acknowledgement watermark: messages are published in simulated-time order and acknowledged
 * in any order; everything up to the oldest unacknowledged message is safely with the broker.
 */
export class AcknowledgementWatermark {
  private readonly pending: { time: number; acknowledged: boolean }[] = []
  private through: number

  constructor(initial: number) {
    this.through = initial
  }

  /** Registers a published message; call the returned function once the broker acknowledged it. */
  published(time: number): () => void {
    const entry = { time, acknowledged: false }
    this.pending.push(entry)
    return () => {
      entry.acknowledged = true
      while (this.pending[0]?.acknowledged) this.through = Math.max(this.through, this.pending.shift()!.time)
    }
  }

  /**
   * Simulated time through which every message was acknowledged. Messages sharing the time of an
   * unacknowledged one stay after it, so a resume re-sends them rather than skipping them.
   */
  value(): number {
    const oldestPending = this.pending[0]?.time
    return oldestPending === undefined ? this.through : Math.min(this.through, oldestPending - 1)
  }
}
