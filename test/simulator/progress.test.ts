import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { header } from '../../core/bus/topics.js'
import { CityEngine } from '../../simulator/engine.js'
import { planFleet } from '../../simulator/fleet.js'
import { AcknowledgementWatermark, loadProgress, saveProgress, type Progress } from '../../simulator/progress.js'
import { grantReplayAllowance } from '../../simulator/replay-allowance.js'
import { scenarioFor } from '../../simulator/scenario.js'
import { startSimulation } from '../../simulator/simulation.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { collectTopic, isolatedConfig, testLogger, waitFor } from '../support/pipeline.js'

describe('acknowledgement watermark', () => {
  test('it should advance only through the oldest unacknowledged message, and stay before messages sharing its time', () => {
    const watermark = new AcknowledgementWatermark(99)
    const first = watermark.published(100)
    const second = watermark.published(200)
    const third = watermark.published(200)
    expect(watermark.value()).toBe(99)
    second()
    expect(watermark.value()).toBe(99)
    first()
    // 200 is acknowledged once, but another message of time 200 is still out.
    expect(watermark.value()).toBe(199)
    third()
    expect(watermark.value()).toBe(200)
  })
})

describe('saved progress', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-progress-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('it should be found for the same city only, and a broken file should count as none', () => {
    const path = join(dir, 'progress.json')
    const progress: Progress = { version: 1, tenant: 'demo-city', seed: 1, scale: 1, startAt: 1000, historyHours: 24, acknowledgedThrough: 5000 }
    saveProgress(path, progress)
    expect(loadProgress(path, { tenant: 'demo-city', seed: 1, scale: 1 })).toEqual(progress)
    expect(loadProgress(path, { tenant: 'demo-city', seed: 2, scale: 1 })).toBeUndefined()
    expect(loadProgress(join(dir, 'missing.json'), { tenant: 'demo-city', seed: 1, scale: 1 })).toBeUndefined()
  })
})

describe('a restarted simulation against the real broker', () => {
  const { config, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline

  beforeAll(async () => {
    pipeline = await startInProcess(config, ['broker'])
    grantReplayAllowance(config.auth.tenantsFile, 'demo-city')
  })
  afterAll(async () => {
    await pipeline?.stop()
    cleanup()
  })

  test('it should resume after the last acknowledged message: every message of the city reaches the bus once, none is skipped', async () => {
    const options = { url: pipeline.mqttUrl, registryFile: config.registryFile, historyHours: 12, speed: 8000, seed: 5 }
    const first = await startSimulation(options, testLogger)
    await waitFor(() => first.stats().acknowledged >= 100, 20_000, 'part of the history to be acknowledged')
    await first.stop()
    expect(first.stats().caughtUp).toBe(false)

    const second = await startSimulation(options, testLogger)
    await waitFor(() => second.stats().caughtUp && second.stats().inFlight === 0, 30_000, 'the rest of the history')
    await second.stop()
    const published = first.stats().acknowledged + second.stats().acknowledged
    expect(second.stats().simulatedStart).toBe(first.stats().simulatedStart)

    const raw = await collectTopic(config, config.bus.topics.raw, (records) => records.length >= published)
    const progress = JSON.parse(readFileSync(join(config.stateDir, 'simulator-progress.json'), 'utf8')) as Progress
    // The same city computed offline, from the start both runs shared up to where the second stopped.
    const engine = new CityEngine(planFleet('demo-city', 1, 5), 'demo-city', 5, scenarioFor(progress.startAt, progress.historyHours))
    const expected = engine.takeUntil(progress.acknowledgedThrough).map((m) => `${m.deviceId} ${m.payload}`)
    const received = raw.map((r) => `${r.headers[header.device]} ${r.value.toString('utf8')}`)
    expect(received.length).toBe(published)
    expect([...received].sort()).toEqual([...expected].sort())
  })
})
