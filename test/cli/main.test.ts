import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { circular, logLines, runCircular, stateDirs } from '../support/circular-process.js'

const dirs = stateDirs()
afterAll(() => dirs.cleanup())

const roles = 'normaliser, store-sink, footprint, alerts, alert-notifier'

describe('circular process', () => {
  test('an unknown role should be refused with exit code 1, listing the roles under their current names', async () => {
    const { code, stderr } = await runCircular(['process', 'nonsense'], dirs.make())
    expect(code).toBe(1)
    expect(stderr).toContain(`error: command-argument value 'nonsense' is invalid for argument 'role'. choose one of ${roles}`)
    expect(stderr).not.toContain('influx-sink')
  })

  test('the help should list the roles under their current names only', async () => {
    const { code, stdout } = await runCircular(['process', '--help'], dirs.make())
    expect(code).toBe(0)
    expect(stdout).toContain(`role        one of: ${roles}`)
    expect(stdout).not.toContain('influx-sink')
  })

  test('the former role name influx-sink should start the store sink, with a warning on stderr', async () => {
    const stateDir = dirs.make()
    const sink = circular(['process', 'influx-sink'], stateDir, { CIRCULAR_LOG_LEVEL: 'info' })
    await sink.waitForOutput(/"msg":"store-sink running"/)
    if (sink.process.exitCode === null) sink.process.kill('SIGTERM')
    const { stdout, stderr } = await sink.finished
    expect(stderr).toContain('circular: the role "influx-sink" is now "store-sink"; the old name is accepted until the next release')
    expect(logLines(stdout).find((l) => l.msg === 'store-sink running')).toMatchObject({ component: 'store-sink' })
    // Embedded bus and store in the state directory: no Kafka, no InfluxDB.
    expect(existsSync(join(stateDir, 'bus.sqlite'))).toBe(true)
  }, 60_000)

  test('the current role name should start the store sink without a warning', async () => {
    const sink = circular(['process', 'store-sink'], dirs.make(), { CIRCULAR_LOG_LEVEL: 'info' })
    await sink.waitForOutput(/"msg":"store-sink running"/)
    if (sink.process.exitCode === null) sink.process.kill('SIGTERM')
    const { stderr } = await sink.finished
    expect(stderr).not.toContain('is now')
  }, 60_000)
})

describe('circular errors', () => {
  test('a platform error should be printed with its code and end the command with exit code 1', async () => {
    const { code, stderr } = await runCircular(['process', 'normaliser'], dirs.make(), { KAFKA_TOPIC_PARTITIONS: 'many' })
    expect(code).toBe(1)
    expect(stderr).toMatch(/^circular: CONFIG_INVALID: invalid configuration: KAFKA_TOPIC_PARTITIONS: /m)
  }, 30_000)
})
