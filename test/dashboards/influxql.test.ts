import { describe, expect, test } from 'vitest'
import { count, dividedBy, field, last, max, mean, minus, movingAverage, renderQuery, sum, tagValuesQuery, times, type InfluxQuery } from '../../dashboards/influxql.js'

const select = (expr: Parameters<typeof renderQuery>[0]['select'][number]['expr'], as = 'x'): InfluxQuery => ({ select: [{ expr, as }], from: 'm' })

describe('renderQuery', () => {
  test('the smallest query should still be bounded by Grafana\'s time filter', () => {
    expect(renderQuery({ select: [{ expr: field('v'), as: 'v' }], from: 'm' })).toBe('SELECT "v" AS "v" FROM "m" WHERE $timeFilter')
  })

  test('aggregates and arithmetic should render with every identifier quoted and every operation parenthesised', () => {
    expect(renderQuery(select(sum('kwh')))).toBe('SELECT sum("kwh") AS "x" FROM "m" WHERE $timeFilter')
    expect(renderQuery({ select: [{ expr: mean('a'), as: 'a' }, { expr: max(field('b')), as: 'b' }, { expr: last('c'), as: 'c' }, { expr: count('d'), as: 'd' }], from: 'm' })).toBe(
      'SELECT mean("a") AS "a", max("b") AS "b", last("c") AS "c", count("d") AS "d" FROM "m" WHERE $timeFilter',
    )
    expect(renderQuery(select(dividedBy(sum('part'), sum('whole'))))).toBe('SELECT (sum("part") / sum("whole")) AS "x" FROM "m" WHERE $timeFilter')
    expect(renderQuery(select(times(minus(field('a'), 1), -1)))).toBe('SELECT (("a" - 1) * -1) AS "x" FROM "m" WHERE $timeFilter')
    expect(renderQuery(select(movingAverage(mean('v'), 24)))).toBe('SELECT moving_average(mean("v"), 24) AS "x" FROM "m" WHERE $timeFilter')
  })

  test('factors should print as written, not with binary noise, to 12 significant digits', () => {
    // 4.68568 / 1000 is 0.004685679999999999 in binary floating point.
    expect(renderQuery(select(times(field('kg'), 4.68568 / 1000)))).toBe('SELECT ("kg" * 0.00468568) AS "x" FROM "m" WHERE $timeFilter')
    expect(renderQuery(select(times(field('kg'), 1 / 3)))).toBe('SELECT ("kg" * 0.333333333333) AS "x" FROM "m" WHERE $timeFilter')
    expect(renderQuery(select(times(field('kg'), 0.1 + 0.2)))).toBe('SELECT ("kg" * 0.3) AS "x" FROM "m" WHERE $timeFilter')
  })

  test('identifiers and values should be escaped, so that no name or value can end its quotes', () => {
    expect(renderQuery({ select: [{ expr: field('a"b\\c'), as: 'say "x"' }], from: 'm"; DROP', where: [{ tag: 'site', is: "O'Brien\\" }] })).toBe(
      'SELECT "a\\"b\\\\c" AS "say \\"x\\"" FROM "m\\"; DROP" WHERE "site"::tag = \'O\\\'Brien\\\\\' AND $timeFilter',
    )
    expect(renderQuery({ ...select(field('v')), where: [{ tag: 'fraction', oneOf: ['a.b', 'c/d', 'e|f', '(x)', '$y^', 'z*+?[]{}'] }] })).toBe(
      'SELECT "v" AS "x" FROM "m" WHERE "fraction"::tag =~ /^(a\\.b|c\\/d|e\\|f|\\(x\\)|\\$y\\^|z\\*\\+\\?\\[\\]\\{\\})$/ AND $timeFilter',
    )
  })

  test('a variable condition should leave the selection to Grafana as a regex', () => {
    expect(renderQuery({ ...select(field('v')), where: [{ tag: 'tenant', variable: 'tenant' }, { tag: 'interval', is: 'hour' }] })).toBe('SELECT "v" AS "x" FROM "m" WHERE "tenant"::tag =~ /^$tenant$/ AND "interval"::tag = \'hour\' AND $timeFilter')
  })

  test('grouping should put time first, auto as Grafana\'s interval, then the tags, then the fill', () => {
    expect(renderQuery({ ...select(sum('v')), groupByTime: 'auto', groupByTags: ['site', 'meter_type'], fill: 'none' })).toBe('SELECT sum("v") AS "x" FROM "m" WHERE $timeFilter GROUP BY time($__interval), "site", "meter_type" fill(none)')
    expect(renderQuery({ ...select(sum('v')), groupByTime: '1h', fill: '0' })).toBe('SELECT sum("v") AS "x" FROM "m" WHERE $timeFilter GROUP BY time(1h) fill(0)')
    expect(renderQuery({ ...select(sum('v')), groupByTags: ['device'] })).toBe('SELECT sum("v") AS "x" FROM "m" WHERE $timeFilter GROUP BY "device"')
  })

  test('subqueries should each be bounded by the time filter and combined in the outer FROM', () => {
    const inner = (measurement: string): InfluxQuery => ({ select: [{ expr: field('kg'), as: 'part' }], from: measurement, where: [{ tag: 'direction', is: 'out' }] })
    expect(renderQuery({ select: [{ expr: sum('part'), as: 'total' }], from: [inner('a'), inner('b')], groupByTags: ['site'] })).toBe(
      'SELECT sum("part") AS "total" FROM (SELECT "kg" AS "part" FROM "a" WHERE "direction"::tag = \'out\' AND $timeFilter), (SELECT "kg" AS "part" FROM "b" WHERE "direction"::tag = \'out\' AND $timeFilter) WHERE $timeFilter GROUP BY "site"',
    )
  })
})

describe('tagValuesQuery', () => {
  test('should list a tag\'s values, from the given measurements and narrowed by the variables it depends on', () => {
    expect(tagValuesQuery([], 'tenant')).toBe('SHOW TAG VALUES WITH KEY = "tenant"')
    expect(tagValuesQuery(['waste_container', 'material_flow_rollup'], 'fraction', [{ tag: 'tenant', variable: 'tenant' }, { tag: 'site', variable: 'site' }])).toBe(
      'SHOW TAG VALUES FROM "waste_container", "material_flow_rollup" WITH KEY = "fraction" WHERE "tenant"::tag =~ /^$tenant$/ AND "site"::tag =~ /^$site$/',
    )
  })
})
