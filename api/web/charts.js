// Small inline-SVG charts. Each draws into a fixed viewBox that CSS scales to the panel; every
// mark carries a <title> with its exact value, for a tooltip and for screen readers.

import { s } from './dom.js'
import { number, percent } from './format.js'

const width = 480
const height = 220
const margin = { top: 12, right: 12, bottom: 28, left: 52 }
const plotWidth = width - margin.left - margin.right
const plotHeight = height - margin.top - margin.bottom

/** A rounded upper bound for an axis, so ticks fall on readable values. */
function niceMax(value) {
  if (!(value > 0)) return 1
  const step = 10 ** Math.floor(Math.log10(value))
  return [1, 2, 2.5, 5, 10].map((m) => m * step).find((candidate) => candidate >= value)
}

function frame(label, ...children) {
  return s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart' }, ...children)
}

function yAxis(max, formatTick) {
  return [0, 0.25, 0.5, 0.75, 1].map((share) => {
    const y = margin.top + plotHeight * (1 - share)
    return s('g', { class: 'tick' }, s('line', { x1: margin.left, x2: width - margin.right, y1: y, y2: y }), s('text', { x: margin.left - 6, y: y + 4, 'text-anchor': 'end' }, formatTick(max * share)))
  })
}

function xLabels(labels) {
  const band = plotWidth / Math.max(labels.length, 1)
  // At most about eight labels, so they never overlap.
  const every = Math.ceil(labels.length / 8)
  return labels.map((label, i) => (i % every === 0 ? s('text', { class: 'x-label', x: margin.left + band * (i + 0.5), y: height - 8, 'text-anchor': 'middle' }, label) : null))
}

/**
 * Stacked bars: one bar per category (e.g. a day), one segment per series.
 * `categories`: [{ key, label }]; `series`: [{ key, name, colour, values: number[] }] aligned
 * with `categories`. Each segment is marked `data-key="<category>/<series>"` with its value.
 */
export function stackedBars({ label, categories, series, unit }) {
  const totals = categories.map((_, i) => series.reduce((sum, serie) => sum + (serie.values[i] ?? 0), 0))
  const max = niceMax(Math.max(0, ...totals))
  const band = plotWidth / Math.max(categories.length, 1)
  const bars = categories.map((category, i) => {
    let base = 0
    return series.map((serie) => {
      const value = serie.values[i] ?? 0
      if (value <= 0) return null
      const y = margin.top + plotHeight * (1 - (base + value) / max)
      base += value
      const mark = { 'data-key': `${category.key}/${serie.key}`, 'data-value': value }
      return s('rect', { ...mark, x: margin.left + band * i + band * 0.15, y, width: band * 0.7, height: (plotHeight * value) / max, fill: serie.colour }, s('title', {}, `${category.label} · ${serie.name}: ${number(value)} ${unit}`))
    })
  })
  return frame(label, ...yAxis(max, number), ...bars.flat(), ...xLabels(categories.map((c) => c.label)))
}

/**
 * A ratio over time (0–1) with horizontal target lines, e.g. the recycling rate against the EU
 * targets. `points`: [{ key, label, value }], each dot marked `data-key`; `targets`: [{ label, value }].
 */
export function ratioLine({ label, points, targets }) {
  const band = plotWidth / Math.max(points.length, 1)
  const x = (i) => margin.left + band * (i + 0.5)
  const y = (value) => margin.top + plotHeight * (1 - Math.min(Math.max(value, 0), 1))
  // Targets lie close together (55, 60, 65 %), so their labels are staggered along the line.
  const labelStep = plotWidth / Math.max(targets.length, 1)
  const targetLines = targets.map((target, i) =>
    s('g', { class: 'target', 'data-value': target.value }, s('line', { x1: margin.left, x2: width - margin.right, y1: y(target.value), y2: y(target.value) }), s('text', { x: width - margin.right - 4 - i * labelStep, y: y(target.value) - 4, 'text-anchor': 'end' }, target.label)),
  )
  const known = points.map((p, i) => ({ ...p, i })).filter((p) => Number.isFinite(p.value))
  const path = known.map((p, n) => `${n === 0 ? 'M' : 'L'}${x(p.i).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ')
  const dots = known.map((p) => s('circle', { 'data-key': p.key, 'data-value': p.value, cx: x(p.i), cy: y(p.value), r: 4 }, s('title', {}, `${p.label}: ${percent(p.value)}`)))
  return frame(label, ...yAxis(1, percent), ...targetLines, path ? s('path', { class: 'line', d: path }) : null, ...dots, ...xLabels(points.map((p) => p.label)))
}

/**
 * Horizontal bars, one group per row with one bar per series.
 * `rows`: [{ key, label, values: number[] }]; `series`: [{ key, name, colour }] aligned with
 * `values`. Each bar is marked `data-key="<row>/<series>"` with its value.
 */
export function groupedBars({ label, rows, series, unit }) {
  const rowHeight = 14 * series.length + 12
  const left = 90
  const plot = width - left - 70
  const max = niceMax(Math.max(0, ...rows.flatMap((row) => row.values)))
  const groups = rows.map((row, r) => {
    const top = 6 + r * rowHeight
    return s(
      'g',
      {},
      s('text', { class: 'row-label', x: left - 6, y: top + rowHeight / 2, 'text-anchor': 'end' }, row.label),
      ...series.map((serie, k) => {
        const value = row.values[k] ?? 0
        const barY = top + k * 14
        const barWidth = (plot * value) / max
        return s('g', {}, s('rect', { 'data-key': `${row.key}/${serie.key}`, 'data-value': value, x: left, y: barY, width: Math.max(barWidth, value > 0 ? 1 : 0), height: 11, fill: serie.colour }, s('title', {}, `${row.label} · ${serie.name}: ${number(value)} ${unit}`)), s('text', { class: 'bar-value', x: left + barWidth + 4, y: barY + 9 }, value > 0 ? number(value) : ''))
      }),
    )
  })
  const svgHeight = Math.max(rows.length * rowHeight + 12, 40)
  return s('svg', { viewBox: `0 0 ${width} ${svgHeight}`, role: 'img', 'aria-label': label, class: 'chart' }, ...groups)
}
