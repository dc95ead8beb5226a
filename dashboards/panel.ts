import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog'
import type { DashboardLink, DashboardLinkBuilder, GridPos, Panel, ThresholdsConfig } from '@grafana/grafana-foundation-sdk/dashboard'
import { ThresholdsConfigBuilder, ThresholdsMode } from '@grafana/grafana-foundation-sdk/dashboard'
import { influxDataSource } from './datasource.js'
import type { InfluxTargetBuilder } from './influx-target.js'

/** Grafana unit ids the dashboards use; a custom unit is `suffix:<text>`. */
export const units = {
  kg: 'masskg',
  kwh: 'kwatth',
  m3: 'm3',
  ratio: 'percentunit',
  co2eKg: 'suffix: kg CO2e',
  hours: 'h',
  ms: 'ms',
  celsius: 'celsius',
  count: 'short',
  records: 'suffix: records',
  degrees: 'none',
} as const

/** What every panel builder of the SDK has in common and the dashboards rely on. */
interface CommonPanelBuilder extends Builder<Panel> {
  id(id: number): this
  title(title: string): this
  description(description: string): this
  unit(unit: string): this
  datasource(datasource: typeof influxDataSource): this
  gridPos(gridPos: GridPos): this
  withTarget(target: Builder<Dataquery>): this
  interval(interval: string): this
  links(links: Builder<DashboardLink>[]): this
  thresholds(thresholds: Builder<ThresholdsConfig>): this
}

export interface PanelSpec {
  readonly title: string
  readonly description: string
  readonly unit: string
  readonly targets: readonly InfluxTargetBuilder[]
  /** Width and height in grid units (24 across). */
  readonly size: readonly [number, number]
  /** Smallest `$__interval`: rollups are hourly, so finer buckets would only show gaps. */
  readonly minInterval?: string
  readonly links?: readonly DashboardLinkBuilder[]
  readonly thresholds?: readonly { value: number | null; color: string }[]
}

/** Lays panels out left to right, wrapping at 24 columns, and numbers them. */
export class Layout {
  private x = 0
  private y = 0
  private rowHeight = 0
  private id = 0

  place<T extends CommonPanelBuilder>(builder: T, spec: PanelSpec): T {
    const [w, h] = spec.size
    if (this.x + w > 24) {
      this.x = 0
      this.y += this.rowHeight
      this.rowHeight = 0
    }
    builder.id(++this.id).title(spec.title).description(spec.description).unit(spec.unit).datasource(influxDataSource).gridPos({ x: this.x, y: this.y, w, h })
    for (const t of spec.targets) builder.withTarget(t)
    if (spec.minInterval) builder.interval(spec.minInterval)
    if (spec.links) builder.links([...spec.links])
    if (spec.thresholds) builder.thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([...spec.thresholds]))
    this.x += w
    this.rowHeight = Math.max(this.rowHeight, h)
    return builder
  }
}
