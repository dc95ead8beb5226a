// Waste containers: where they stand, how full they are and when they will be full.

import { query } from '../api-client.js'
import { h, keepingFocus, replace, s } from '../dom.js'
import { ago, hoursAhead, percent, words } from '../format.js'
import { markerMap } from '../map.js'

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
    const cards = h('ul', { class: 'container-grid' }, containers.map((c) => containerCard(c, now)))
    keepingFocus(body, () => {
      // The map is redrawn only when a marker changes, so hover and focus on it survive refreshes.
      const signature = JSON.stringify(containers.map((c) => [c.id, c.device?.location?.coordinates, c.forecast?.fillLevel, timeToFullText(c)]))
      const map = body.querySelector('svg.map')
      if (map && map.dataset.signature === signature) return map.nextElementSibling.replaceWith(cards)
      const fresh = containerMap(containers, body)
      fresh?.setAttribute('data-signature', signature)
      replace(body, fresh, cards)
    })
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

function timeToFullText({ device, forecast }) {
  const fill = forecast?.fillLevel
  return forecast === undefined ? 'no readings yet'
    : fill >= (device?.fullnessThreshold ?? defaultFullAt) ? 'full: collect'
    : forecast.timeToFullHours === undefined ? 'time to full: not yet known'
    : `full in ${hoursAhead(forecast.timeToFullHours)}`
}

function containerCard({ id, device, forecast }, now) {
  const fill = forecast?.fillLevel
  const fullAt = device?.fullnessThreshold ?? defaultFullAt
  const observedAt = forecast ? Date.parse(forecast.observedAt) : undefined
  const silent = observedAt !== undefined && now - observedAt > silentAfterMs
  const timeToFull = timeToFullText({ device, forecast })
  return h(
    'li',
    { class: `container band-${fillBand(fill, fullAt)}${silent ? ' silent' : ''}`, 'data-device': id, tabindex: -1 },
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

/** The containers that have a location, on the map; choosing one brings its card into view. */
function containerMap(containers, body) {
  const markers = containers
    .filter((c) => c.device?.location?.coordinates)
    .map((c) => {
      const fill = c.forecast?.fillLevel
      const fillText = fill === undefined ? 'no readings yet' : `${percent(fill)} full`
      return { id: c.id, lon: c.device.location.coordinates[0], lat: c.device.location.coordinates[1], fill, colour: fillColour(fill), tip: `${c.id} · ${fill === undefined ? 'no readings' : percent(fill)}`, title: `${c.id}: ${fillText}, ${timeToFullText(c)}` }
    })
  if (markers.length === 0) return null
  return markerMap({
    label: 'Containers on the map, coloured by fill level; choose one to go to its card',
    markers,
    onChoose(id) {
      const card = [...body.querySelectorAll('li[data-device]')].find((li) => li.dataset.device === id)
      card?.scrollIntoView({ block: 'nearest' })
      card?.focus({ preventScroll: true })
    },
  })
}
