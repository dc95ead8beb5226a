// The containers on a small map. Markers often stand close together, so a marker gets a label
// only where it fits without touching another label or marker; every marker is a focusable
// button named by its <title> (device, fill level, time to full), and shows its full name in a
// tip on hover and focus.

import { s } from './dom.js'

const width = 640
const height = 240
const pad = 28
const radius = 7
const fontSize = 12
/** A generous average glyph width of the system sans-serif at `fontSize`, so estimates err wide. */
const glyphWidth = fontSize * 0.62
const lineHeight = fontSize + 4

/**
 * `markers`: [{ id, lon, lat, colour, fill, title }], `fill` (0–1 or undefined) orders them:
 * the fullest are drawn on top and labelled first. `onChoose(id)` runs on click, Enter or Space.
 */
export function markerMap({ label, markers, onChoose }) {
  const lons = markers.map((m) => m.lon)
  const lats = markers.map((m) => m.lat)
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2
  const midLon = (Math.min(...lons) + Math.max(...lons)) / 2
  // A plain projection of longitude and latitude, east–west shrunk by cos(latitude) as on a city map.
  const shrink = Math.cos((midLat * Math.PI) / 180)
  const spanX = Math.max((Math.max(...lons) - Math.min(...lons)) * shrink, 1e-4)
  const spanY = Math.max(Math.max(...lats) - Math.min(...lats), 1e-4)
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY)
  const placed = markers
    .map((m) => ({ ...m, x: width / 2 + (m.lon - midLon) * shrink * scale, y: height / 2 - (m.lat - midLat) * scale }))
    .sort((a, b) => (a.fill ?? -1) - (b.fill ?? -1))
  const names = shortNames(placed.map((m) => m.id))
  const labels = placeLabels(placed.map((m, i) => ({ ...m, name: names[i] })).reverse())

  const tipText = s('text', { class: 'tip-text' })
  const tip = s('g', { class: 'tip', 'aria-hidden': 'true', visibility: 'hidden' }, s('rect', { class: 'tip-box', rx: 3, height: lineHeight + 6 }), tipText)
  const svg = s(
    'svg',
    { class: 'map', viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': label },
    s('g', { class: 'markers' },
      placed.map((m) => s('g', { class: 'marker', 'data-device': m.id, tabindex: 0, role: 'button', 'data-x': m.x, 'data-y': m.y, 'data-tip': m.tip }, s('title', {}, m.title), s('circle', { cx: m.x, cy: m.y, r: radius, fill: m.colour }))),
    ),
    // Labels repeat what each marker's title says, so assistive technology skips them.
    s('g', { class: 'labels', 'aria-hidden': 'true' }, labels.map((l) => s('text', { class: 'label', 'data-label-for': l.id, x: l.x, y: l.y, 'text-anchor': l.anchor }, l.name))),
    tip,
  )

  const markerOf = (target) => (target instanceof Element ? target.closest('.marker') : null)
  const show = (marker) => {
    tipText.textContent = marker.dataset.tip
    const [x, y] = [Number(marker.dataset.x), Number(marker.dataset.y)]
    const textWidth = tipText.getComputedTextLength?.() || tipText.textContent.length * glyphWidth
    const boxWidth = textWidth + 12
    // Right of the marker, or left of it where the map ends; above it near the bottom edge.
    const left = x + radius + 6 + boxWidth <= width ? x + radius + 6 : Math.max(0, x - radius - 6 - boxWidth)
    const top = Math.min(Math.max(y - (lineHeight + 6) / 2, 0), height - lineHeight - 6)
    tip.querySelector('rect').setAttribute('x', String(left))
    tip.querySelector('rect').setAttribute('y', String(top))
    tip.querySelector('rect').setAttribute('width', String(boxWidth))
    tipText.setAttribute('x', String(left + 6))
    tipText.setAttribute('y', String(top + lineHeight))
    tip.setAttribute('visibility', 'visible')
    for (const other of svg.querySelectorAll('.marker.active')) other.classList.remove('active')
    marker.classList.add('active')
  }
  const hide = () => {
    // A focused marker keeps its tip while the pointer wanders off.
    const focused = markerOf(document.activeElement)
    if (focused && svg.contains(focused)) return show(focused)
    tip.setAttribute('visibility', 'hidden')
    for (const other of svg.querySelectorAll('.marker.active')) other.classList.remove('active')
  }
  svg.addEventListener('pointerover', (event) => {
    const marker = markerOf(event.target)
    if (marker) show(marker)
  })
  svg.addEventListener('pointerout', (event) => {
    if (markerOf(event.target) && markerOf(event.relatedTarget) !== markerOf(event.target)) hide()
  })
  svg.addEventListener('focusin', (event) => {
    const marker = markerOf(event.target)
    if (marker) show(marker)
  })
  svg.addEventListener('focusout', hide)
  svg.addEventListener('click', (event) => {
    const marker = markerOf(event.target)
    if (marker) onChoose(marker.dataset.device)
  })
  svg.addEventListener('keydown', (event) => {
    const marker = markerOf(event.target)
    if (!marker || (event.key !== 'Enter' && event.key !== ' ')) return
    event.preventDefault()
    onChoose(marker.dataset.device)
  })
  return svg
}

/** Ids without the prefix they all share ("demo-city-bin-glass-01" → "glass-01"), when that leaves them distinct. */
export function shortNames(ids) {
  if (ids.length < 2) return ids
  let prefix = ids.reduce((common, id) => {
    let i = 0
    while (i < common.length && common[i] === id[i]) i++
    return common.slice(0, i)
  })
  // Cut only after a separator, so no name loses part of a word.
  prefix = prefix.slice(0, Math.max(...['-', '_', '.', ':', '/'].map((c) => prefix.lastIndexOf(c))) + 1)
  const short = ids.map((id) => id.slice(prefix.length))
  return short.every((name) => name.length > 0) && new Set(short).size === ids.length ? short : ids
}

const overlaps = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2

/**
 * Labels placed greedily: right of the marker, else left, above or below, at the first place
 * inside the map that touches no placed label and no other marker. Markers left without one
 * still show their name in the tip.
 */
export function placeLabels(markers) {
  const gap = 3
  const taken = markers.map((m) => ({ id: m.id, x1: m.x - radius - 1, x2: m.x + radius + 1, y1: m.y - radius - 1, y2: m.y + radius + 1 }))
  const labels = []
  for (const m of markers) {
    const w = m.name.length * glyphWidth
    const half = lineHeight / 2
    const candidates = [
      { anchor: 'start', x: m.x + radius + 4, y: m.y + fontSize * 0.35, box: { x1: m.x + radius + 4 - gap, x2: m.x + radius + 4 + w + gap, y1: m.y - half, y2: m.y + half } },
      { anchor: 'end', x: m.x - radius - 4, y: m.y + fontSize * 0.35, box: { x1: m.x - radius - 4 - w - gap, x2: m.x - radius - 4 + gap, y1: m.y - half, y2: m.y + half } },
      { anchor: 'middle', x: m.x, y: m.y - radius - 5, box: { x1: m.x - w / 2 - gap, x2: m.x + w / 2 + gap, y1: m.y - radius - 5 - fontSize, y2: m.y - radius - 1 } },
      { anchor: 'middle', x: m.x, y: m.y + radius + fontSize + 2, box: { x1: m.x - w / 2 - gap, x2: m.x + w / 2 + gap, y1: m.y + radius + 1, y2: m.y + radius + fontSize + 5 } },
    ]
    const fits = candidates.find(({ box }) => box.x1 >= 0 && box.x2 <= width && box.y1 >= 0 && box.y2 <= height && taken.every((t) => t.id === m.id || !overlaps(t, box)))
    if (!fits) continue
    taken.push({ id: m.id, ...fits.box })
    labels.push({ id: m.id, name: m.name, x: fits.x, y: fits.y, anchor: fits.anchor })
  }
  return labels
}
