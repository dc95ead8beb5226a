import { describe, expect, test } from 'vitest'
import { loadConfig } from '../../core/config.js'

describe('config: consumer fetch batching and bridge share group', () => {
  test('loadConfig should default to fetches of 64 KiB or 20 ms and take overrides', () => {
    expect(loadConfig({}).kafka).toMatchObject({ fetchMinBytes: 65_536, fetchMaxWaitMs: 20 })
    expect(loadConfig({ KAFKA_FETCH_MIN_BYTES: '1', KAFKA_FETCH_MAX_WAIT_MS: '0' }).kafka).toMatchObject({ fetchMinBytes: 1, fetchMaxWaitMs: 0 })
    expect(() => loadConfig({ KAFKA_FETCH_MAX_WAIT_MS: '60000' })).toThrow(/KAFKA_FETCH_MAX_WAIT_MS/)
  })

  test('loadConfig should take a bridge share group only as a plain name', () => {
    expect(loadConfig({}).bridge.shareGroup).toBeUndefined()
    expect(loadConfig({ BRIDGE_SHARE_GROUP: 'bridges-1' }).bridge.shareGroup).toBe('bridges-1')
    expect(() => loadConfig({ BRIDGE_SHARE_GROUP: 'a/b' })).toThrow(/BRIDGE_SHARE_GROUP/)
    expect(() => loadConfig({ BRIDGE_SHARE_GROUP: '#' })).toThrow(/BRIDGE_SHARE_GROUP/)
  })
})
