import { Writable } from 'node:stream'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { logCountersEvery } from '../../cli/lifecycle.js'
import { Counters } from '../../core/counters.js'
import { createLogger } from '../../core/logger.js'
import { logLines, start } from '../support/circular-process.js'

const fixture = (mode = 'clean') => start(['--import', 'tsx', 'test/cli/fixtures/stop-on-signal.ts', mode], { ...process.env } as Record<string, string>)

describe('stopOnSignal', () => {
  test('a signal should stop the components in reverse start order, carry on past one that fails, and exit with 0', async () => {
    const child = fixture()
    await child.waitForOutput(/"msg":"ready"/)
    child.process.kill('SIGTERM')
    const { code, stdout } = await child.finished
    expect(code).toBe(0)
    const lines = logLines(stdout)
    expect(lines.filter((l) => l.msg !== 'ready').map((l) => [l.msg, l.component ?? l.signal ?? ''])).toEqual([
      ['stopping', 'SIGTERM'],
      ['stop called', 'c'],
      ['stop called', 'b'],
      ['component did not stop cleanly', 'b'],
      ['stop called', 'a'],
      ['stopped', ''],
    ])
    expect(lines.find((l) => l.msg === 'component did not stop cleanly')).toMatchObject({ level: 50, err: { message: 'b would not stop' } })
  }, 30_000)

  test('a second signal while stopping should exit at once with 1', async () => {
    const child = fixture('hang')
    await child.waitForOutput(/"msg":"ready"/)
    child.process.kill('SIGINT')
    await child.waitForOutput(/"component":"c","msg":"stop called"/)
    child.process.kill('SIGTERM')
    const { code, stdout } = await child.finished
    expect(code).toBe(1)
    expect(logLines(stdout).map((l) => l.msg)).not.toContain('stopped')
  }, 30_000)
})

describe('logCountersEvery', () => {
  afterEach(() => vi.useRealTimers())

  test('should log every component\'s counters at each interval, without keeping the process alive', () => {
    vi.useFakeTimers()
    const lines: Record<string, unknown>[] = []
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>), done()) })
    const normaliser = new Counters('normaliser', ['received', 'accepted'])
    const sinkCounters = new Counters('store-sink', ['stored'])
    const timer = logCountersEvery(60_000, [normaliser, sinkCounters], createLogger('info', 'test', sink))
    try {
      expect(timer.hasRef()).toBe(false)
      normaliser.add('received', 3)
      vi.advanceTimersByTime(59_999)
      expect(lines).toEqual([])
      vi.advanceTimersByTime(1)
      normaliser.add('accepted', 2)
      sinkCounters.add('stored', 2)
      vi.advanceTimersByTime(60_000)
      expect(lines.map((l) => [l.msg, l.counters])).toEqual([
        ['counters', { normaliser: { received: 3, accepted: 0 }, 'store-sink': { stored: 0 } }],
        ['counters', { normaliser: { received: 3, accepted: 2 }, 'store-sink': { stored: 2 } }],
      ])
    } finally {
      clearInterval(timer)
    }
  })
})
