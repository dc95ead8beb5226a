import { describe, expect, test } from 'vitest'
import { Batcher } from '../../../core/bus/publish-batcher.js'

describe('publish batcher', () => {
  test('should gather concurrent callers into few sends without splitting one caller’s items', async () => {
    const sends: number[][] = []
    const batcher = new Batcher<number>(async (items) => {
      sends.push(items)
      await new Promise((r) => setTimeout(r, 5))
    }, { maxItems: 10, lingerMs: 5 })
    await Promise.all(Array.from({ length: 30 }, (_, i) => batcher.add([i * 2, i * 2 + 1])))
    expect(sends.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i))
    expect(sends.length).toBeLessThanOrEqual(8)
    for (const send of sends) expect(send.length % 2).toBe(0)
    for (const send of sends) expect(send.length).toBeLessThanOrEqual(10)
  })

  test('should reject every caller of a failed send and keep serving later ones', async () => {
    let fail = true
    const batcher = new Batcher<string>(async () => {
      if (fail) throw new Error('broker down')
    }, { maxItems: 100, lingerMs: 1 })
    const results = await Promise.allSettled([batcher.add(['a']), batcher.add(['b'])])
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
    fail = false
    await expect(batcher.add(['c'])).resolves.toBeUndefined()
  })

  test('drain should wait for queued items', async () => {
    const sent: string[] = []
    const batcher = new Batcher<string>(async (items) => void sent.push(...items), { maxItems: 100, lingerMs: 50 })
    void batcher.add(['x'])
    await batcher.drain()
    expect(sent).toEqual(['x'])
  })
})
