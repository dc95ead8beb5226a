import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  readonly component: string
  /** Sampled time excluding idle, seconds. */
  readonly totalSeconds: number
  readonly top: { name: string; where: string; percent: number }[]
  /** The project's own functions by inclusive time (themselves and all they call). */
  readonly inclusive: { name: string; where: string; percent: number }[]
  readonly byPackage: { name: string; percent: number }[]
}

const repoRoot = new URL('../../', import.meta.url).href

/** Top self-time functions and packages of every component's V8 CPU profile(s) under `dir`. */
export function summariseProfiles(dir: string): ProfileSummary[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .sort()
    .flatMap((component) => {
      const files = readdirSync(join(dir, component)).filter((f) => f.endsWith('.cpuprofile'))
      if (files.length === 0) return []
      return [summarise(component, files.map((f) => JSON.parse(readFileSync(join(dir, component, f), 'utf8')) as CpuProfile))]
    })
}

function summarise(component: string, profiles: CpuProfile[]): ProfileSummary {
  const byFunction = new Map<string, { name: string; where: string; micros: number }>()
  const byPackage = new Map<string, number>()
  let total = 0
  const inclusive = new Map<string, { name: string; where: string; micros: number }>()
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]))
    const parents = new Map<number, number>()
    for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id)
    profile.samples.forEach((id, i) => {
      const frame = nodes.get(id)
      const micros = profile.timeDeltas[i] ?? 0
      if (!frame || frame.functionName === '(idle)') return
      total += micros
      const where = location(frame.url, frame.lineNumber)
      const key = `${frame.functionName}\u0000${where}`
      const entry = byFunction.get(key) ?? { name: frame.functionName || '(anonymous)', where, micros: 0 }
      entry.micros += micros
      byFunction.set(key, entry)
      const pkg = packageOf(frame.url, frame.functionName)
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros)
      // Each of the project's functions on the stack, once per sample (recursion counts once).
      const seen = new Set<string>()
      for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
        const f = nodes.get(at)
        if (!f || !f.url.startsWith(repoRoot) || f.url.includes('/node_modules/')) continue
        const fWhere = location(f.url, f.lineNumber)
        const fKey = `${f.functionName}\u0000${fWhere}`
        if (seen.has(fKey)) continue
        seen.add(fKey)
        const e = inclusive.get(fKey) ?? { name: f.functionName || '(anonymous)', where: fWhere, micros: 0 }
        e.micros += micros
        inclusive.set(fKey, e)
      }
    })
  }
  const percent = (micros: number): number => Math.round((micros / Math.max(total, 1)) * 1000) / 10
  return {
    component,
    totalSeconds: Math.round(total / 1e5) / 10,
    top: [...byFunction.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, 20)
      .map((f) => ({ name: f.name, where: f.where, percent: percent(f.micros) })),
    inclusive: [...inclusive.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, 20)
      .map((f) => ({ name: f.name, where: f.where, percent: percent(f.micros) })),
    byPackage: [...byPackage.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([name, micros]) => ({ name, percent: percent(micros) })),
  }
}

function location(url: string, line: number): string {
  if (url === '') return '(native)'
  const path = url.startsWith(repoRoot) ? url.slice(repoRoot.length) : url
  return `${path.replace(/^.*node_modules\//, '')}:${line + 1}`
}

/** node_modules package, node internals, a project directory, or V8 itself (GC, native code). */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)'
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (module) return module[1]!
  if (url.startsWith('node:')) return 'node internals'
  if (url.startsWith(repoRoot)) return `circular/${url.slice(repoRoot.length).split('/')[0]}`
  return url
}
