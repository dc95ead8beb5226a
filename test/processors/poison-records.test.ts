import { afterEach, describe, expect, test } from 'vitest'
import type { IncomingRecord } from '../../core/bus/bus.js'
import type { EmbeddedBus } from '../../core/bus/embedded-bus.js'
import { header } from '../../core/bus/topics.js'
import { PlatformError } from '../../models/errors.js'
import { deadLetterReasons } from '../../processors/dead-letter.js'
import { guardAgainstPoison, mayBeTheRecords } from '../../processors/poison-records.js'
import { embeddedPlatform, quietLogger, totalLag, type EmbeddedPlatform } from '../support/embedded.js'
import { waitFor } from '../support/pipeline.js'

describe('poison records', () => {
  let platform: EmbeddedPlatform | undefined
  let bus: EmbeddedBus | undefined
  afterEach(async () => {
    await bus?.close()
    await platform?.cleanup()
    bus = undefined
    platform = undefined
  })

  const setUp = async (): Promise<{ topic: string; deadLetter: string }> => {
    platform = embeddedPlatform()
    const b = (bus = platform.openBus())
    const topic = 'poison.input'
    const deadLetter = platform.config.bus.topics.deadLetter
    await b.ensureTopics([
      { topic, partitions: 2 },
      { topic: deadLetter, partitions: 1 },
    ])
    return { topic, deadLetter }
  }
  const opened = (): EmbeddedBus => bus!
  const guard = (handle: (records: readonly IncomingRecord[]) => Promise<void>, deadLetter: string) =>
    guardAgainstPoison(async (records) => handle(records), { bus: bus!, deadLetterTopic: deadLetter, stage: 'test-stage', maxRecordBytes: 1_000_000, logger: quietLogger })

  test('which failures may lie in the records: unexpected errors and final data errors, not the surroundings or what is retryable', () => {
    expect(mayBeTheRecords(new TypeError('x is undefined'))).toBe(true)
    expect(mayBeTheRecords(new PlatformError('RECORD_TOO_LARGE', 'too large'))).toBe(true)
    expect(mayBeTheRecords(new PlatformError('STORE_AUTH_FAILED', 'refused'))).toBe(false)
    expect(mayBeTheRecords(new PlatformError('STORE_UNAVAILABLE', 'down'))).toBe(false)
    expect(mayBeTheRecords(new PlatformError('SHUTTING_DOWN', 'stopping'))).toBe(false)
  })

  test('one record the handler always fails on should become a dead letter with the reason, and everything else of its partition should be handled', async () => {
    const { topic, deadLetter } = await setUp()
    const bus = opened()
    const values = Array.from({ length: 20 }, (_, i) => (i === 13 ? 'poison' : `ok-${i}`))
    // One key: all of them in one partition, in order.
    await bus.publish(values.map((v) => ({ topic, key: 'bin-1', value: Buffer.from(v), headers: {} })))
    const handled = new Set<string>()
    const consumption = await bus.consume({
      groupId: 'poison-group',
      topics: [topic],
      handleBatch: guard(async (records) => {
        if (records.some((r) => r.value.toString() === 'poison')) throw new TypeError("Cannot read properties of undefined (reading 'time')")
        for (const r of records) handled.add(r.value.toString())
      }, deadLetter),
    })
    await waitFor(async () => (await totalLag(bus, 'poison-group', [topic])) === 0, 30_000, 'the partition past the poison record')
    await consumption.stop()
    expect([...handled].sort()).toEqual(values.filter((v) => v !== 'poison').sort())
    const letters = await bus.readAll(deadLetter)
    expect(letters.map((r) => [r.value.toString(), r.headers[header.dlqStage], r.headers[header.dlqCode]])).toEqual([['poison', 'test-stage', 'INTERNAL']])
    expect(deadLetterReasons(letters[0]!.headers)[0]?.message).toMatch(/failed on this record 3 times.*reading 'time'/)
  })

  test('a store that refuses the credentials should hold back only its partition, dead-letter nothing, and go on once it accepts them again', async () => {
    const { topic, deadLetter } = await setUp()
    const bus = opened()
    let refusing = true
    const handled: string[] = []
    const consumption = await bus.consume({
      groupId: 'auth-group',
      topics: [topic],
      handleBatch: guard(async (records) => {
        if (refusing && records.some((r) => r.key === 'refused')) throw new PlatformError('STORE_AUTH_FAILED', 'InfluxDB answered 401')
        handled.push(...records.map((r) => r.value.toString()))
      }, deadLetter),
    })
    // Keys chosen to land in different partitions of two.
    const keys = ['refused', ...Array.from({ length: 20 }, (_, i) => `other-${i}`)]
    const partitionOf = new Map<string, number>()
    await bus.publish(keys.map((key) => ({ topic, key, value: Buffer.from(key), headers: {} })))
    for (const r of await bus.readAll(topic)) partitionOf.set(r.key, r.partition)
    const elsewhere = keys.filter((k) => partitionOf.get(k) !== partitionOf.get('refused'))
    expect(elsewhere.length).toBeGreaterThan(0)
    await waitFor(() => elsewhere.every((k) => handled.includes(k)), 15_000, 'the other partition handled meanwhile')
    // Well past the tries before isolating: still waiting, nothing dead-lettered.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    expect(handled).not.toContain('refused')
    expect(await bus.readAll(deadLetter)).toEqual([])
    refusing = false
    await waitFor(() => handled.includes('refused'), 30_000, 'the refused partition once the store accepts again')
    await consumption.stop()
    expect(await bus.readAll(deadLetter)).toEqual([])
  })
})
