// The live view: picks the tenant, refreshes every panel every few seconds, and says plainly
// when data is stale or the API answered with an error.

import { apiClient, ApiError } from './api-client.js'
import { rememberApiKey, takeApiKey } from './api-key.js'
import { h, replace } from './dom.js'
import { ago } from './format.js'
import { alertsPanel } from './panels/alerts.js'
import { co2ePanel } from './panels/co2e.js'
import { containersPanel } from './panels/containers.js'
import { pipelinePanel } from './panels/pipeline.js'
import { recyclingPanel } from './panels/recycling.js'
import { sitesPanel } from './panels/sites.js'
import { wasteFractionsPanel } from './panels/waste-fractions.js'

const refreshMs = 5_000
/** Data older than three missed refreshes is called stale. */
const staleAfterMs = 3 * refreshMs

const panels = [containersPanel, alertsPanel, co2ePanel, wasteFractionsPanel, recyclingPanel, sitesPanel, pipelinePanel]

const client = apiClient(takeApiKey())
const view = {
  tenant: new URLSearchParams(location.search).get('tenant') ?? undefined,
  lastComplete: undefined,
  refreshing: false,
  /** The form that asks for the API key, kept across refreshes so that what is typed stays. */
  keyForm: undefined,
}

const statusLine = document.getElementById('status')
const tenantSelect = document.getElementById('tenant')
const problems = document.getElementById('problems')

tenantSelect.addEventListener('change', () => {
  view.tenant = tenantSelect.value
  const url = new URL(location.href)
  url.searchParams.set('tenant', view.tenant)
  history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`)
  view.lastComplete = undefined
  void refresh()
})

/** Tenants named by the registered devices, plus the one asked for in the URL. */
function showTenants(devices) {
  const tenants = [...new Set(devices.map((d) => d.tenant))].sort()
  if (view.tenant === undefined) view.tenant = tenants[0]
  if (view.tenant !== undefined && !tenants.includes(view.tenant)) tenants.unshift(view.tenant)
  const current = [...tenantSelect.options].map((o) => o.value)
  if (current.join('\n') !== tenants.join('\n')) replace(tenantSelect, tenants.map((t) => h('option', { value: t }, t)))
  if (view.tenant !== undefined) tenantSelect.value = view.tenant
}

/**
 * Asks for the API key once, when the API wants one: kept for this tab only and sent only as a
 * request header. On the machine that runs the platform, the admin key is in its state directory
 * (`admin-key`), which the start banner names.
 */
function keyForm() {
  if (view.keyForm) return view.keyForm
  const input = h('input', { type: 'password', id: 'api-key', name: 'key', autocomplete: 'off', required: true, spellcheck: 'false' })
  const form = h(
    'form',
    { class: 'problem key-form' },
    h('label', { for: 'api-key' }, 'The API asks for a key: '),
    input,
    ' ',
    h('button', { type: 'submit' }, 'Use this key'),
    h('span', {}, ' It stays in this tab and is sent only as a request header.'),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    if (!input.value.trim()) return
    rememberApiKey(input.value)
    location.reload()
  })
  return (view.keyForm = form)
}

/** Problems that belong to no panel, and a hint when the API wants a key. */
function showProblems(general, all) {
  const needsKey = all.some((e) => e instanceof ApiError && e.needsKey)
  replace(
    problems,
    needsKey ? keyForm() : null,
    general.map((e) => h('p', { class: 'problem' }, e.message)),
  )
}

async function refresh() {
  if (view.refreshing) return
  view.refreshing = true
  const now = Date.now()
  const errors = []
  const general = []
  try {
    const { devices } = await client.json('/v1/devices')
    showTenants(devices)
    if (view.tenant === undefined) throw new Error('No devices are registered yet, so there is no tenant to show; add one with `circular devices add` or open this page with ?tenant=<tenant>.')
    const context = { client, tenant: view.tenant, devices: devices.filter((d) => d.tenant === view.tenant), now }
    const results = await Promise.allSettled(panels.map((panel) => panel.load(context)))
    results.forEach((result, i) => {
      const section = document.getElementById(panels[i].id)
      const error = section.querySelector('.panel-error')
      if (result.status === 'fulfilled') {
        panels[i].render(section, result.value, context)
        section.classList.remove('stale')
        error.hidden = true
      } else {
        // The last good figures stay, marked as stale, with the error above them.
        section.classList.add('stale')
        error.textContent = result.reason.message
        error.hidden = false
        errors.push(result.reason)
      }
    })
    if (errors.length === 0) view.lastComplete = now
  } catch (error) {
    general.push(error)
    // Nothing could be refreshed: every panel now shows old figures.
    for (const panel of panels) document.getElementById(panel.id).classList.add('stale')
  } finally {
    view.refreshing = false
  }
  showProblems(general, [...general, ...errors])
  showStatus(general.length + errors.length > 0)
}

function showStatus(failing = statusLine.dataset.failing === 'true') {
  const now = Date.now()
  statusLine.dataset.failing = String(failing)
  const age = view.lastComplete === undefined ? undefined : now - view.lastComplete
  const state = age === undefined ? (failing ? 'error' : 'loading') : age > staleAfterMs ? 'stale' : failing ? 'error' : 'live'
  statusLine.dataset.state = state
  statusLine.textContent =
    state === 'loading' ? 'Loading…'
    : age === undefined ? 'No data: the API answered with an error'
    : state === 'stale' ? `Stale: last complete update ${ago(view.lastComplete, now)}`
    : state === 'error' ? `API errors; last complete update ${ago(view.lastComplete, now)}`
    : `Live · updated ${ago(view.lastComplete, now)}`
}

void refresh()
setInterval(() => void refresh(), refreshMs)
setInterval(() => showStatus(), 1_000)
