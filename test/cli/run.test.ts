import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { logLines, start, stateDirs } from '../support/circular-process.js'

const dirs = stateDirs()
afterAll(() => dirs.cleanup())

describe('launch', () => {
  test('should start the components in order, each seeing the ones before it, and on a signal stop them before the shared clients', async () => {
    const stateDir = dirs.make()
    const child = start(['--import', 'tsx', 'test/cli/fixtures/launch.ts', stateDir], { ...process.env } as Record<string, string>)
    await child.waitForOutput(/"msg":"launched"/)
    expect(existsSync(join(stateDir, 'bus.sqlite.owner'))).toBe(true)
    child.process.kill('SIGTERM')
    const { code, stdout } = await child.finished
    expect(code).toBe(0)
    const lines = logLines(stdout)
    expect(lines.map((l) => [l.msg, l.component ?? ''])).toEqual([
      ['starting', 'first'],
      ['first running', 'first'],
      ['starting', 'second'],
      ['second running at mqtt://127.0.0.1:1884', 'second'],
      ['launched', ''],
      ['stopping', ''],
      ['stop called', 'second'],
      ['stop called', 'first'],
      ['stopped', ''],
    ])
    expect(lines.filter((l) => l.msg === 'starting').map((l) => l.sawStarted)).toEqual([[], ['first']])
    expect(lines.find((l) => l.msg === 'second running at mqtt://127.0.0.1:1884')).toMatchObject({ address: 'mqtt://127.0.0.1:1884' })
    expect(lines.find((l) => l.msg === 'launched')).toMatchObject({ started: ['first', 'second'], same: true })
    // The bus is still open while the components stop; closing it last removes its owner note.
    expect(lines.filter((l) => l.msg === 'stop called').map((l) => l.busUp)).toEqual([true, true])
    expect(existsSync(join(stateDir, 'bus.sqlite.owner'))).toBe(false)
  }, 30_000)
})
