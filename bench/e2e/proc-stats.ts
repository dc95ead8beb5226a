import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** Kernel clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

export interface ProcSample {
  /** User + system CPU seconds of all the process's threads since it started. */
  readonly cpuSeconds: number
  readonly rssBytes: number
  /** Peak resident set size since the process started (VmHWM). */
  readonly hwmBytes: number
}

export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may contain spaces and parentheses; the fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const utime = Number(fields[11])
    const stime = Number(fields[12])
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return { cpuSeconds: (utime + stime) / ticksPerSecond, rssBytes: kib(status, 'VmRSS') * 1024, hwmBytes: kib(status, 'VmHWM') * 1024 }
  } catch {
    return undefined
  }
}

function kib(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)
  return match ? Number(match[1]) : 0
}

/** CPU seconds of the whole machine (all cores, busy time only) from /proc/stat. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number)
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / ticksPerSecond
}

/**
 * Watches named processes: CPU seconds between marks, and the highest RSS seen while sampling
 * (VmHWM of a long-running service such as Kafka reaches back before the benchmark).
 */
export class ProcWatch {
  private readonly pids = new Map<string, number>()
  private readonly peakRss = new Map<string, number>()
  private readonly hwm = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined

  add(name: string, pid: number | undefined): void {
    if (pid === undefined) return
    this.pids.set(name, pid)
  }

  remove(name: string): void {
    this.sampleRss()
    this.pids.delete(name)
  }

  start(intervalMs = 250): void {
    this.timer = setInterval(() => this.sampleRss(), intervalMs)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.sampleRss()
  }

  /** CPU seconds of every watched process now (and of the machine, as `machine`). */
  mark(): Record<string, number> {
    const out: Record<string, number> = { machine: machineBusySeconds() }
    for (const [name, pid] of this.pids) {
      const s = sampleProcess(pid)
      if (s) out[name] = s.cpuSeconds
    }
    return out
  }

  peaks(): Record<string, { peakRssMiB: number; hwmMiB?: number }> {
    const out: Record<string, { peakRssMiB: number; hwmMiB?: number }> = {}
    this.sampleRss()
    for (const [name, rss] of this.peakRss) {
      const hwm = this.hwm.get(name)
      out[name] = { peakRssMiB: mib(rss), ...(hwm !== undefined ? { hwmMiB: mib(hwm) } : {}) }
    }
    return out
  }

  private sampleRss(): void {
    for (const [name, pid] of this.pids) {
      const s = sampleProcess(pid)
      // An exited process not yet reaped still has a status file, without memory lines.
      if (!s || s.rssBytes === 0) continue
      if (s.rssBytes > (this.peakRss.get(name) ?? 0)) this.peakRss.set(name, s.rssBytes)
      if (s.hwmBytes > (this.hwm.get(name) ?? 0)) this.hwm.set(name, s.hwmBytes)
    }
  }
}

/** CPU seconds per process between two marks. */
export function cpuBetween(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [name, value] of Object.entries(after)) {
    const start = before[name]
    if (start !== undefined) out[name] = Math.round((value - start) * 100) / 100
  }
  return out
}

function mib(bytes: number): number {
  return Math.round(bytes / 1024 / 102.4) / 10
}
