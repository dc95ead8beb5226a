import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat'
import { describe, expect, test } from 'vitest'
import { targets } from '../../dashboards/influx-target.js'
import { linkTo, uids } from '../../dashboards/links.js'
import { Layout, type PanelSpec } from '../../dashboards/panel.js'

const spec = (size: [number, number], extra: Partial<PanelSpec> = {}): PanelSpec => ({
  title: `panel ${size.join('x')}`,
  description: 'what it shows',
  unit: 'masskg',
  size,
  targets: targets({ query: { select: [{ expr: { kind: 'field', name: 'v' }, as: 'v' }], from: 'm' } }),
  ...extra,
})

describe('Layout', () => {
  test('should place panels left to right, wrap at 24 columns below the tallest of the row, and number them', () => {
    const layout = new Layout()
    const sizes: [number, number][] = [[12, 9], [6, 6], [6, 12], [24, 8], [12, 5], [13, 4]]
    const panels = sizes.map((size) => layout.place(new StatPanel(), spec(size)).build())
    expect(panels.map((p) => [p.id, p.gridPos])).toEqual([
      [1, { x: 0, y: 0, w: 12, h: 9 }],
      [2, { x: 12, y: 0, w: 6, h: 6 }],
      [3, { x: 18, y: 0, w: 6, h: 12 }],
      [4, { x: 0, y: 12, w: 24, h: 8 }],
      [5, { x: 0, y: 20, w: 12, h: 5 }],
      [6, { x: 0, y: 25, w: 13, h: 4 }],
    ])
  })

  test('should set the title, description, unit, data source and targets, and the options only when given', () => {
    const layout = new Layout()
    const full = layout
      .place(new StatPanel(), spec([6, 6], { minInterval: '1h', links: [linkTo(uids.energy, 'Energy')], thresholds: [{ value: null, color: 'green' }, { value: 0.8, color: 'red' }] }))
      .build()
    expect(full).toMatchObject({
      title: 'panel 6x6',
      description: 'what it shows',
      datasource: { type: 'influxdb', uid: 'circular-influxdb' },
      interval: '1h',
      fieldConfig: { defaults: { unit: 'masskg', thresholds: { mode: 'absolute', steps: [{ value: null, color: 'green' }, { value: 0.8, color: 'red' }] } } },
      links: [{ title: 'Energy', url: '/d/circular-energy?${__url_time_range}&${__all_variables}' }],
    })
    expect((JSON.parse(JSON.stringify(full)) as { targets: { refId: string }[] }).targets.map((t) => t.refId)).toEqual(['A'])
    const bare = layout.place(new StatPanel(), spec([6, 6])).build()
    expect(bare.interval).toBeUndefined()
    expect(bare.links).toBeUndefined()
    expect(bare.fieldConfig?.defaults?.thresholds).toBeUndefined()
  })
})
