import { describe, expect, test } from 'vitest'
import { groupIds } from '../../processors/group-ids.js'

describe('groupIds', () => {
  test('should keep the names running deployments have committed offsets under', () => {
    expect(groupIds.normaliser('circular')).toBe('circular-normaliser')
    expect(groupIds.footprint('circular')).toBe('circular-footprint')
    // Renaming this group would make an upgraded sink rewrite the whole retained log.
    expect(groupIds.storeSink('circular')).toBe('circular-influx-sink')
  })

  test('should keep deployments with other prefixes apart', () => {
    expect(new Set([groupIds.storeSink('a'), groupIds.storeSink('b'), groupIds.normaliser('a')]).size).toBe(3)
  })
})
