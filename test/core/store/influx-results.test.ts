import { describe, expect, test } from 'vitest'
import { statementSeries } from '../../../core/store/influx-results.js'

const failure = (body: unknown, count = 1): unknown => {
  try {
    statementSeries(body, count)
  } catch (error) {
    return error
  }
  return undefined
}

describe('statementSeries', () => {
  test('should give each statement its series in statement order, placed by statement_id', () => {
    const body = {
      results: [
        { statement_id: 1, series: [{ name: 'device_health', columns: ['time', 'battery_level'], values: [[1000, 0.9]] }] },
        {
          statement_id: 0,
          series: [
            { name: 'waste_container', columns: ['time', 'filling_level'], values: [[1000, 0.4], [2000, 0.5]], tags: { device: 'bin-1' } },
            { name: 'waste_container', columns: ['time', 'filling_level'], values: [[1000, 0.1]], tags: { device: 'bin-2' } },
          ],
        },
        { statement_id: 2 },
      ],
    }
    expect(statementSeries(body, 3)).toEqual([
      [
        { name: 'waste_container', columns: ['time', 'filling_level'], values: [[1000, 0.4], [2000, 0.5]], tags: { device: 'bin-1' } },
        { name: 'waste_container', columns: ['time', 'filling_level'], values: [[1000, 0.1]], tags: { device: 'bin-2' } },
      ],
      [{ name: 'device_health', columns: ['time', 'battery_level'], values: [[1000, 0.9]] }],
      [],
    ])
  })

  test('results without statement ids should be placed by position, and statements without results stay empty', () => {
    expect(statementSeries({ results: [{ series: [{ name: 'm', columns: ['time', 'v'], values: [[1, 2]] }] }] }, 2)).toEqual([[{ name: 'm', columns: ['time', 'v'], values: [[1, 2]] }], []])
  })

  test('a series should keep only its non-empty text tags, and a missing name or missing values read as empty', () => {
    const [[series]] = statementSeries({ results: [{ series: [{ columns: ['time', 'v'], tags: { device: 'bin-1', site: '', kind: 3 } }] }] }, 1) as [[unknown]]
    expect(series).toEqual({ name: '', columns: ['time', 'v'], values: [], tags: { device: 'bin-1' } })
  })

  test('any error of the answer or of a statement should be STORE_QUERY_FAILED carrying InfluxDB\'s reason', () => {
    expect(failure({ error: 'authorization failed' })).toMatchObject({ code: 'STORE_QUERY_FAILED', message: 'InfluxDB query failed: authorization failed', details: { reason: 'authorization failed' } })
    expect(failure({ results: [{ statement_id: 0 }, { statement_id: 1, error: 'database not found: x' }] }, 2)).toMatchObject({ message: 'InfluxDB query failed: database not found: x' })
    expect(failure({ results: [{ statement_id: 0, partial: true, series: [] }] })).toMatchObject({ message: 'InfluxDB query failed: the result was truncated by the server (partial)' })
  })

  test('an answer of the wrong shape should be STORE_QUERY_FAILED saying what is wrong', () => {
    const reasons = [
      [null, 'the answer has no results'],
      [[], 'the answer has no results'],
      [{ results: {} }, 'the answer has no results'],
      [{ results: [7] }, 'a result is not an object'],
      [{ results: [{ statement_id: 3 }] }, 'a result names statement 3 of 1'],
      [{ results: [{ statement_id: -1 }] }, 'a result names statement -1 of 1'],
      [{ results: [{ series: {} }] }, 'series is not a list'],
      [{ results: [{ series: [{ name: 'm' }] }] }, 'a series has no columns'],
      [{ results: [{ series: [null] }] }, 'a series has no columns'],
      [{ results: [{ series: [{ columns: ['time'], values: [1, 2] }] }] }, 'a series has malformed values'],
      [{ results: [{ series: [{ columns: ['time'], values: 'x' }] }] }, 'a series has malformed values'],
    ] as const
    for (const [body, reason] of reasons) expect(failure(body), JSON.stringify(body)).toMatchObject({ code: 'STORE_QUERY_FAILED', message: `InfluxDB query failed: ${reason}` })
  })
})
