// Waste containers: where they stand, how full they are and when they will be full.

import { query } from '../api-client.js'
import { h, replace, s } from '../dom.js'
import { ago, hoursAhead, percent, words } from '../format.js'

const defaultFullAt = 0.8
/** A container not heard from for this long is shown as silent. */
const silentAfterMs = 6 * 3_600_000

export const containersPanel = {
  id: 'containers',
  async load({ client, tenant, devices }) {
    const forecast = await client.json(`/v1/containers/forecast?${query({ tenant })}`)
    const byDevice = new Map(forecast.containers.map((c) => [c.deviceId, c]))
    // Registered containers without any reading yet are shown too, as waiting for data.
    const registered = devices.filter((d) => d.kind === 'waste_container')
    const ids = [...new Set([...forecast.containers.map((c) => c.deviceId), ...registered.map((d) => d.id)])]
    return ids.map((id) => ({ device: registered.find((d) => d.id === id), forecast: byDevice.get(id), id }))
  },
  render(section, containers, { now }) {
    const body = section.querySelector('.panel-body')
    if (containers.length === 0) return replace(body, h('p', { class: 'empty' }, 'No waste containers registered for this tenant.'))
    replace(body, containerMap(containers), h('ul', { class: 'container-grid' }, containers.map((c) => containerCard(c, now))))
  },
}

/** Green to red with the fill level: the hue runs from 120° (empty) to 0° (full). */
function fillColour(fill) {
  return fill === undefined ? '#9aa3ab' : `hsl(${Math.round(120 * (1 - Math.min(Math.max(fill, 0), 1)))} 70% 45%)`
}

function fillBand(fill, fullAt) {
  if (fill === undefined) return 'unknown'
  if (fill >= fullAt) return 'full'
  return fill >= fullAt * 0.6 ? 'filling' : 'low'
}

function containerCard({ id, device, forecast }, now) {
  const fill = forecast?.fillLevel
  const fullAt = device?.fullnessThreshold ?? defaultFullAt
  const observedAt = forecast ? Date.parse(forecast.observedAt) : undefined
  const silent = observedAt !== undefined && now - observedAt > silentAfterMs
  const timeToFull =
    forecast === undefined ? 'no readings yet'
    : fill >= fullAt ? 'full: collect'
    : forecast.timeToFullHours === undefined ? 'time to full: not yet known'
    : `full in ${hoursAhead(forecast.timeToFullHours)}`
  return h(
    'li',
    { class: `container band-${fillBand(fill, fullAt)}${silent ? ' silent' : ''}`, 'data-device': id },
    s('svg', { class: 'gauge', viewBox: '0 0 20 40', 'aria-hidden': 'true' }, s('rect', { x: 1, y: 1, width: 18, height: 38, rx: 3, class: 'gauge-shell' }), fill === undefined ? null : s('rect', { x: 3, y: 3 + 34 * (1 - Math.min(fill, 1)), width: 14, height: 34 * Math.min(fill, 1), rx: 1, fill: fillColour(fill) })),
    h('div', { class: 'container-text' },
      h('strong', { class: 'device-id' }, id),
      h('span', { class: 'fraction' }, words(forecast?.fraction ?? device?.wasteFraction ?? 'fraction unknown'), device?.site ?? forecast?.site ? ` · ${device?.site ?? forecast?.site}` : ''),
      h('span', { class: 'fill', 'data-value': fill }, fill === undefined ? '–' : percent(fill)),
      h('span', { class: 'time-to-full', 'data-hours': forecast?.timeToFullHours, title: forecast?.forecastFullAt ? `forecast full at ${forecast.forecastFullAt}` : undefined }, timeToFull),
      observedAt === undefined ? null : h('span', { class: 'seen', title: forecast.observedAt }, silent ? `silent since ${ago(observedAt, now)}` : `seen ${ago(observedAt, now)}`),
    ),
  )
}

/**
 * The containers with a location on a plain projection of longitude and latitude (east–west
 * shrunk by cos(latitude), as on a city map), fitted to the area they cover.
 */
function containerMap(containers) {
  const placed = containers.filter((c) => c.device?.location?.coordinates)
  if (placed.length === 0) return null
  const [lons, lats] = [0, 1].map((axis) => placed.map((c) => c.device.location.coordinates[axis]))
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2
  const shrink = Math.cos((midLat * Math.PI) / 180)
  const spanX = Math.max((Math.max(...lons) - Math.min(...lons)) * shrink, 1e-4)
  const spanY = Math.max(Math.max(...lats) - Math.min(...lats), 1e-4)
  const [width, height, pad] = [480, 200, 24]
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY)
  const x = (lon) => width / 2 + ((lon - (Math.min(...lons) + Math.max(...lons)) / 2) * shrink * scale)
  const y = (lat) => height / 2 - (lat - midLat) * scale
  return s(
    'svg',
    { class: 'map', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Containers on the map, coloured by fill level' },
    s('rect', { class: 'map-ground', x: 0, y: 0, width, height }),
    placed.map((c) => {
      const [lon, lat] = c.device.location.coordinates
      const fill = c.forecast?.fillLevel
      return s('g', { 'data-device': c.id }, s('circle', { cx: x(lon), cy: y(lat), r: 9, fill: fillColour(fill) }, s('title', {}, `${c.id}: ${fill === undefined ? 'no readings yet' : percent(fill)}`)), s('text', { x: x(lon) + 12, y: y(lat) + 4 }, c.id))
    }),
  )
}
