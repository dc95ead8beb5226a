import type { BenchDevice } from './devices.js'
import type { PayloadMode } from './payloads.js'
import type { Buckets } from '../stats.js'

/** Orchestrator → load generator (over the fork IPC channel). */
export type ToGenerator =
  | { readonly type: 'connect'; readonly url: string; readonly devices: readonly BenchDevice[]; readonly credentials: boolean; readonly window: number }
  /** `rate` in messages/s for this generator, or null: as fast as the window and the allowance let. */
  | { readonly type: 'phase'; readonly phase: number; readonly mode: PayloadMode; readonly rate: number | null; readonly durationMs: number; readonly maxMessages?: number }
  /** Total messages this generator may have published since it connected (end-to-end backlog cap). */
  | { readonly type: 'allow'; readonly upTo: number }
  | { readonly type: 'disconnect' }

/** Load generator → orchestrator. Counters are totals since `connect`. */
export type FromGenerator =
  | { readonly type: 'connected'; readonly connectMs: number }
  | { readonly type: 'progress'; readonly published: number; readonly acked: number }
  | {
      readonly type: 'phase-done'
      readonly phase: number
      readonly published: number
      readonly acked: number
      /** Messages a fixed-rate phase should have sent but could not (windows full or allowance used up). */
      readonly deficit: number
      /** Publish → PUBACK, milliseconds. */
      readonly ackLatency: { buckets: Buckets; count: number; min: number; max: number }
    }
  | { readonly type: 'disconnected'; readonly published: number; readonly acked: number; readonly failed: number }
  | { readonly type: 'error'; readonly message: string }
