import { describe, expect, test } from 'vitest'
import { copartitionedAssignment } from '../../../core/bus/copartitioned-assigner.js'

describe('co-partitioned assignment', () => {
  test('partition p of every topic should go to one member, spread over the members by p', () => {
    const assignment = copartitionedAssignment(['m-b', 'm-a'], { readings: [2, 0, 1], commands: [0, 1, 2], flows: [0, 1, 2] })
    expect(Object.fromEntries(assignment)).toEqual({
      'm-a': { readings: [0, 2], commands: [0, 2], flows: [0, 2] },
      'm-b': { readings: [1], commands: [1], flows: [1] },
    })
  })

  test('every partition should be assigned exactly once, and a lone member should get all', () => {
    const members = ['a', 'b', 'c', 'd', 'e']
    const assignment = copartitionedAssignment(members, { t: [0, 1, 2, 3, 4, 5, 6] })
    expect([...assignment.values()].flatMap((a) => a.t ?? []).sort()).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(Object.fromEntries(copartitionedAssignment(['only'], { x: [0, 1], y: [0, 1] }))).toEqual({ only: { x: [0, 1], y: [0, 1] } })
    expect(copartitionedAssignment([], { x: [0] }).size).toBe(0)
  })
})
