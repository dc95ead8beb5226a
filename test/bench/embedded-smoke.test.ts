import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { parseCounters } from '../../bench/e2e/embedded.js'
import type { Report } from '../../bench/report/report.js'

/**
 * The embedded benchmark mode in smoke size: `circular start` alone (embedded bus and store, no
 * Kafka or InfluxDB), both payload modes, a few hundred readings over MQTT. Only correctness is
 * asserted: every hop reconciles, the platform ran on its embedded defaults, nothing is left running.
 */
describe('embedded benchmark smoke run', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'circular-bench-embedded-smoke-'))
  afterAll(() => rmSync(outDir, { recursive: true, force: true }))

  test('published = acknowledged = raw = readings records = stored in the embedded store, and the run cleans up after itself', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--embedded', '--smoke', '--out', outDir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d.toString()))
    child.stderr.on('data', (d: Buffer) => (output += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code, output).toBe(0)

    const file = readdirSync(outDir).find((f) => f.startsWith('embedded-smoke-') && f.endsWith('.json'))
    expect(file, output).toBeDefined()
    const report = JSON.parse(readFileSync(join(outDir, file!), 'utf8')) as Report
    expect(report.failures).toEqual([])
    expect(report.settings.platform).toBe('embedded')
    expect(report.settings.kafka.sinkBatchMax, 'the embedded store has its own default batch').toBeGreaterThan(0)
    expect(report.scenarios.map((s) => `${s.path} ${s.payload}`)).toEqual(['embedded single', 'embedded pack'])
    for (const s of report.scenarios) {
      const r = s.reconciliation
      expect(r.published, s.payload).toBeGreaterThan(0)
      expect([r.acknowledged, r.rawRecords, r.readingsRecords], s.payload).toEqual([r.published, r.published, r.published])
      expect(r.storedReadings, s.payload).toBe(r.published * (s.payload === 'pack' ? 10 : 1))
      expect(r.deadLetters).toBe(0)
      expect(s.rates[0]?.probesMissing, s.payload).toBe(0)
    }
    expect(Object.keys(report.peakMemory)).toContain('platform')
    expect(runningProcessesOf(report.runId)).toEqual([])
  }, 60_000)

  test('reads Prometheus counters, summing the samples of a family', () => {
    const counters = parseCounters(
      ['# TYPE circular_ingest_accepted_total counter', 'circular_ingest_accepted_total 12', '# TYPE circular_broker_throttled_total counter', 'circular_broker_throttled_total{tenant="a"} 2', 'circular_broker_throttled_total{tenant="b \\"x\\""} 3', ''].join('\n'),
    )
    expect(counters.get('circular_ingest_accepted_total')).toBe(12)
    expect(counters.get('circular_broker_throttled_total')).toBe(5)
  })
})

/** Command lines of live processes that mention the run id (the state directory and client ids do). */
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
