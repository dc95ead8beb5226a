import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { Report } from '../../bench/report/report.js'

/**
 * The benchmark in smoke mode, as CI runs it: both ingest paths (aedes; Mosquitto + two bridges
 * in a share group), both payload modes, a few hundred readings. Only correctness is asserted:
 * every hop reconciles and nothing is left running. Timing figures are not looked at.
 */
describe('benchmark smoke run', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'circular-bench-smoke-'))
  afterAll(() => rmSync(outDir, { recursive: true, force: true }))

  test('published = acknowledged = in Kafka = stored on both brokers, and the run cleans up after itself', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', outDir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code, output).toBe(0)

    const file = readdirSync(outDir).find((f) => f.startsWith('smoke-') && f.endsWith('.json'))
    expect(file, output).toBeDefined()
    const report = JSON.parse(readFileSync(join(outDir, file!), 'utf8')) as Report
    expect(report.failures).toEqual([])
    expect(report.scenarios.map((s) => `${s.path} ${s.payload}`)).toEqual(['aedes single', 'aedes pack', 'mosquitto+bridge×2 single', 'mosquitto+bridge×2 pack'])
    for (const s of report.scenarios) {
      const r = s.reconciliation
      expect(r.published, `${s.path} ${s.payload}`).toBeGreaterThan(0)
      expect([r.acknowledged, r.rawRecords, r.readingsRecords], `${s.path} ${s.payload}`).toEqual([r.published, r.published, r.published])
      expect(r.storedReadings, `${s.path} ${s.payload}`).toBe(r.published * (s.payload === 'pack' ? 10 : 1))
      expect(r.deadLetters).toBe(0)
    }
    // No component, generator or private Mosquitto of the run outlives it.
    expect(runningProcessesOf(report.runId)).toEqual([])
  }, 90_000)
})

/** Command lines of live processes that mention the run id (the registry path and client ids do). */
function runningProcessesOf(runId: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8')
        return environ.includes(`bench-${runId}`) || cmdline.includes(runId) ? [cmdline] : []
      } catch {
        return []
      }
    })
}
