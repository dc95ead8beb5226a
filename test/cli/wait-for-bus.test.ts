import { afterAll, describe, expect, test } from 'vitest'
import { spawnCircular, type Running } from '../support/circular-process.js'
import { isolatedConfig, services } from '../support/pipeline.js'

describe('a processor started while Kafka is down', () => {
  const { env, cleanup } = isolatedConfig({ CIRCULAR_LOG_LEVEL: 'info' })
  let child: Running | undefined
  afterAll(async () => {
    services('up', 'kafka')
    await child?.kill('SIGTERM')
    cleanup()
  })

  test('waits for it, says so, and starts once Kafka answers', async () => {
    services('down', 'kafka')
    child = spawnCircular(['process', 'footprint'], env)
    await child.waitForOutput(/does not answer; waiting for it before starting/, 30_000)
    // Still there some seconds later: waiting, not exited.
    await new Promise((resolve) => setTimeout(resolve, 4000))
    expect(child.process.exitCode).toBeNull()
    expect(child.stdout()).not.toMatch(/footprint running/)

    services('up', 'kafka')
    await child.waitForOutput(/"msg":"footprint running"/, 90_000)
    expect(child.stdout()).toMatch(/answers; starting/)
    expect(child.process.exitCode).toBeNull()
  }, 180_000)
})
