import { GraphDrawStyle, GraphThresholdsStyleConfigBuilder, GraphThresholdsStyleMode, LegendDisplayMode, LegendPlacement, StackingConfigBuilder, StackingMode, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common'
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries'

/** A time series with its legend shown (the SDK's default hides it). */
export function timeseries(): TimeseriesPanel {
  return new TimeseriesPanel().legend(new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom))
}

/** Stacked bars: amounts per bucket that add up (kg, kWh, CO2e). */
export function stackedBars(): TimeseriesPanel {
  return timeseries().drawStyle(GraphDrawStyle.Bars).fillOpacity(80).stacking(new StackingConfigBuilder().mode(StackingMode.Normal))
}

/** Lines with the panel's thresholds drawn as lines, e.g. targets. */
export function linesAgainstThresholds(): TimeseriesPanel {
  return timeseries().thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Line))
}
