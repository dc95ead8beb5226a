import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Histogram } from '../stats.js'
import { trackChild } from './teardown.js'
import type { BenchDevice } from './devices.js'
import type { FromGenerator, ToGenerator } from './generator-protocol.js'
import type { PayloadMode } from './payloads.js'

const entry = fileURLToPath(new URL('./generator.ts', import.meta.url))

export interface PhaseResult {
  readonly published: number
  readonly acked: number
  readonly deficit: number
  readonly ackLatency: Histogram
}

/** The load generator processes, driven as one: the fleet is split evenly across them. */
export class GeneratorPool {
  private readonly children: ChildProcess[] = []
  private readonly progress: { published: number; acked: number }[] = []
  private readonly waiters = new Map<string, { count: number; messages: FromGenerator[]; resolve: (m: FromGenerator[]) => void; reject: (e: Error) => void }>()
  private readonly errors: string[] = []
  private closing = false

  /** `execArgv` is added to each generator's node options (e.g. `--cpu-prof`); `env` to its environment. */
  constructor(count: number, execArgv: readonly string[] = [], env: Record<string, string> = {}) {
    for (let i = 0; i < count; i++) {
      const child = fork(entry, [], { execArgv: [...execArgv, '--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      trackChild(child)
      // A generator that died has no channel left; its exit handler reports the problem.
      child.on('error', (error) => this.errors.push(`generator ${i}: ${error.message}`))
      this.progress.push({ published: 0, acked: 0 })
      child.on('message', (message: FromGenerator) => this.onMessage(i, message))
      child.on('exit', (code, signal) => {
        if (this.closing) return
        const problem = `generator ${i} exited with ${code ?? signal}`
        this.errors.push(problem)
        for (const waiter of this.waiters.values()) waiter.reject(new Error(problem))
        this.waiters.clear()
      })
      this.children.push(child)
    }
  }

  get pids(): number[] {
    return this.children.map((c) => c.pid!).filter((p) => p !== undefined)
  }

  /** Problems reported by the generators so far (connection drops, failed publishes). */
  get problems(): readonly string[] {
    return this.errors
  }

  get published(): number {
    return this.progress.reduce((sum, p) => sum + p.published, 0)
  }

  get acked(): number {
    return this.progress.reduce((sum, p) => sum + p.acked, 0)
  }

  async connect(url: string, devices: readonly BenchDevice[], credentials: boolean, window: number): Promise<number> {
    const shares = this.split(devices)
    const replies = this.expect('connected', 120_000)
    shares.forEach((share, i) => this.send(i, { type: 'connect', url, devices: share, credentials, window }))
    for (const p of this.progress) p.published = p.acked = 0
    const messages = await replies
    return Math.max(...messages.map((m) => (m.type === 'connected' ? m.connectMs : 0)))
  }

  /** Runs one phase on every generator; `rate` (messages/s in total) is split evenly. */
  async phase(id: number, mode: PayloadMode, rate: number | null, durationMs: number, maxMessages?: number): Promise<PhaseResult> {
    const replies = this.expect('phase-done', durationMs + 120_000)
    const n = this.children.length
    this.children.forEach((_, i) => {
      const share = maxMessages === undefined ? undefined : Math.floor(maxMessages / n) + (i < maxMessages % n ? 1 : 0)
      this.send(i, { type: 'phase', phase: id, mode, rate: rate === null ? null : rate / n, durationMs, ...(share !== undefined ? { maxMessages: share } : {}) })
    })
    const messages = await replies
    const ackLatency = new Histogram()
    let deficit = 0
    messages.forEach((m, i) => {
      if (m.type !== 'phase-done') return
      ackLatency.merge(m.ackLatency)
      deficit += m.deficit
      this.progress[i] = { published: m.published, acked: m.acked }
    })
    return { published: this.published, acked: this.acked, deficit, ackLatency }
  }

  /** End-to-end backlog cap: the fleet may have published at most `total` messages. */
  allow(total: number): void {
    const n = this.children.length
    this.children.forEach((_, i) => this.send(i, { type: 'allow', upTo: Math.floor(total / n) }))
  }

  async disconnect(): Promise<{ published: number; acked: number; failed: number }> {
    const replies = this.expect('disconnected', 60_000)
    this.children.forEach((_, i) => this.send(i, { type: 'disconnect' }))
    const messages = await replies
    const totals = { published: 0, acked: 0, failed: 0 }
    for (const m of messages) {
      if (m.type !== 'disconnected') continue
      totals.published += m.published
      totals.acked += m.acked
      totals.failed += m.failed
    }
    return totals
  }

  async close(): Promise<void> {
    this.closing = true
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve()
            c.once('exit', () => resolve())
            c.kill('SIGTERM')
          }),
      ),
    )
  }

  private split(devices: readonly BenchDevice[]): BenchDevice[][] {
    const shares: BenchDevice[][] = this.children.map(() => [])
    devices.forEach((d, i) => shares[i % shares.length]!.push(d))
    return shares
  }

  private send(i: number, message: ToGenerator): void {
    const child = this.children[i]!
    if (child.connected) child.send(message)
  }

  /** Resolves with every generator's reply of `type`; fails on a timeout or a generator's death. */
  private expect(type: FromGenerator['type'], timeoutMs: number): Promise<FromGenerator[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(type)
        reject(new Error(`load generators did not report "${type}" within ${timeoutMs / 1000} s${this.errors.length > 0 ? `: ${this.errors.slice(-3).join('; ')}` : ''}`))
      }, timeoutMs)
      this.waiters.set(type, {
        count: 0,
        messages: new Array<FromGenerator>(this.children.length),
        resolve: (m) => {
          clearTimeout(timer)
          resolve(m)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
    })
  }

  private onMessage(i: number, message: FromGenerator): void {
    if (message.type === 'progress') {
      this.progress[i] = { published: message.published, acked: message.acked }
      return
    }
    if (message.type === 'error') {
      if (this.errors.length < 50) this.errors.push(`generator ${i}: ${message.message}`)
      return
    }
    const waiter = this.waiters.get(message.type)
    if (!waiter) return
    waiter.messages[i] = message
    if (++waiter.count === this.children.length) {
      this.waiters.delete(message.type)
      waiter.resolve(waiter.messages)
    }
  }
}
