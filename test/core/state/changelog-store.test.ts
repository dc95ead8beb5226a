import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { EmbeddedBus } from '../../../core/bus/embedded-bus.js'
import { ChangelogStore } from '../../../core/state/changelog-store.js'
import { testLogger } from '../../support/pipeline.js'

interface Count {
  readonly n: number
}

const topic = 'footprint-state'
const open: { bus: EmbeddedBus; dir: string }[] = []
async function bus(withTopic = true): Promise<EmbeddedBus> {
  const dir = mkdtempSync(join(tmpdir(), 'circular-changelog-'))
  const b = new EmbeddedBus({ path: join(dir, 'bus.sqlite') }, testLogger)
  open.push({ bus: b, dir })
  if (withTopic) await b.ensureTopics([{ topic, partitions: 2, compacted: true }])
  return b
}
afterEach(async () => {
  for (const { bus: b, dir } of open.splice(0)) {
    await b.close()
    rmSync(dir, { recursive: true, force: true })
  }
})

const records = async (b: EmbeddedBus): Promise<[string, string][]> => (await b.readAll(topic)).map((r) => [r.key, r.value.toString()])

describe('ChangelogStore', () => {
  test('flush should write the newest state of each staged key once, and another store should load them', async () => {
    const b = await bus()
    const store = new ChangelogStore<Count>(b, topic)
    expect(await store.load()).toBe(0)
    store.stage('bin-1', { n: 1 })
    store.stage('bin-2', { n: 1 })
    store.stage('bin-1', { n: 2 })
    expect(store.get('bin-1')).toEqual({ n: 2 })
    await store.flush()
    expect((await b.readAll(topic)).length).toBe(2)
    const again = new ChangelogStore<Count>(b, topic)
    expect(await again.load()).toBe(2)
    expect(again.entries().sort()).toEqual([
      ['bin-1', { n: 2 }],
      ['bin-2', { n: 1 }],
    ])
  })

  test('a flush with nothing staged should publish nothing, also after an earlier flush', async () => {
    const b = await bus()
    const store = new ChangelogStore<Count>(b, topic)
    await store.flush()
    store.stage('bin-1', { n: 1 })
    await store.flush()
    await store.flush()
    expect(await records(b)).toEqual([['bin-1', '{"n":1}']])
  })

  test('a flush with keys should write only those of the staged keys; discarded keys should never be written, and a load should take what the topic holds for them', async () => {
    const b = await bus()
    const store = new ChangelogStore<Count>(b, topic)
    store.stage('bin-1', { n: 1 })
    store.stage('bin-2', { n: 1 })
    await store.flush(undefined, new Set(['bin-1']))
    expect(await records(b)).toEqual([['bin-1', '{"n":1}']])
    store.stage('bin-1', { n: 9 })
    store.discard(['bin-1'])
    await store.flush()
    expect((await records(b)).sort()).toEqual([
      ['bin-1', '{"n":1}'],
      ['bin-2', '{"n":1}'],
    ])
    store.stage('bin-1', { n: 10 })
    store.discard(['bin-1'])
    await store.load({ keepLocal: true })
    expect(store.get('bin-1')).toEqual({ n: 1 })
  })

  test('an empty record should delete its key on load', async () => {
    const b = await bus()
    await b.publish([
      { topic, key: 'bin-1', value: Buffer.from('{"n":1}'), headers: {} },
      { topic, key: 'bin-2', value: Buffer.from('{"n":5}'), headers: {} },
      { topic, key: 'bin-1', value: Buffer.alloc(0), headers: {} },
    ])
    const store = new ChangelogStore<Count>(b, topic)
    expect(await store.load()).toBe(1)
    expect(store.get('bin-1')).toBeUndefined()
    expect(store.get('bin-2')).toEqual({ n: 5 })
  })

  test('load should drop what was staged but not flushed, as the changelog alone is durable', async () => {
    const b = await bus()
    const store = new ChangelogStore<Count>(b, topic)
    store.stage('bin-1', { n: 1 })
    await store.flush()
    store.stage('bin-1', { n: 99 })
    store.stage('bin-2', { n: 1 })
    expect(await store.load()).toBe(1)
    expect(store.get('bin-1')).toEqual({ n: 1 })
    expect(store.get('bin-2')).toBeUndefined()
    await store.flush()
    expect(await records(b)).toEqual([['bin-1', '{"n":1}']])
  })

  test('a flush the bus refused should keep the changes staged for the next one', async () => {
    const b = await bus(false)
    const store = new ChangelogStore<Count>(b, topic)
    store.stage('bin-1', { n: 1 })
    await expect(store.flush()).rejects.toMatchObject({ code: 'BUS_TOPIC_UNKNOWN' })
    await b.ensureTopics([{ topic, partitions: 1, compacted: true }])
    await store.flush()
    expect(await records(b)).toEqual([['bin-1', '{"n":1}']])
  })

  test('concurrent flushes should each resolve only once the keys staged before them are written', async () => {
    const b = await bus()
    const store = new ChangelogStore<Count>(b, topic)
    store.stage('bin-1', { n: 1 })
    const first = store.flush()
    store.stage('bin-2', { n: 1 })
    const second = store.flush()
    await second
    // The second flush waited for its turn, so bin-2 is written when it resolves.
    expect((await records(b)).map(([key]) => key).sort()).toEqual(['bin-1', 'bin-2'])
    await first
  })

  test('a keepLocal load should keep what this instance staged or is writing, and a plain load should drop it', async () => {
    const b = await bus()
    const other = new ChangelogStore<Count>(b, topic)
    other.stage('bin-1', { n: 1 })
    other.stage('bin-2', { n: 1 })
    await other.flush()

    const store = new ChangelogStore<Count>(b, topic)
    await store.load()
    store.stage('bin-1', { n: 5 })
    const writing = store.flush()
    store.stage('bin-3', { n: 7 })
    const loading = store.load({ keepLocal: true })
    store.stage('bin-4', { n: 9 })
    await loading
    await writing
    expect([store.get('bin-1'), store.get('bin-2'), store.get('bin-3'), store.get('bin-4')]).toEqual([{ n: 5 }, { n: 1 }, { n: 7 }, { n: 9 }])
    // Still staged, so the next flush writes them.
    await store.flush()
    const fresh = new ChangelogStore<Count>(b, topic)
    await fresh.load()
    expect([fresh.get('bin-1'), fresh.get('bin-3'), fresh.get('bin-4')]).toEqual([{ n: 5 }, { n: 7 }, { n: 9 }])

    store.stage('bin-2', { n: 100 })
    await store.load()
    expect(store.get('bin-2')).toEqual({ n: 1 })
  })
})
