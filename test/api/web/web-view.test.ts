import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import mqtt from 'mqtt'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startAlertsComponent, type Started } from '../../../cli/components.js'
import { parseToken } from '../../../core/registry/api-key.js'
import { FileApiKeys } from '../../../core/registry/api-keys.js'
import { bearer, createTestKey } from '../../support/api-auth.js'
import { startInProcess, type InProcessPipeline } from '../../support/in-process.js'
import { isolatedConfig, registerDevice, waitFor, type TestDevice } from '../../support/pipeline.js'
import { attributeOfEach, launchChromium, plain, shownNumber, shownPrecision, sum, type Alerts, type FootprintBody, type Forecast } from '../../support/web-view-page.js'

/**
 * The live web view in a real browser (Debian's chromium) against the real pipeline: devices
 * publish over MQTT, and every figure the page shows must be the one the API answers.
 */

const minute = 60_000
const screenshotPath = 'test-artifacts/web-view.png'
const tenant = 'webcity'

/** Alert topics and groups of this file only. */
function alertsEnv(): Record<string, string> {
  const id = randomBytes(4).toString('hex')
  return {
    ALERT_PROCESSOR_GROUP: `test.${id}.alerts`,
    ALERT_NOTIFIER_GROUP: `test.${id}.notifier`,
    TOPIC_ALERTS: `test.${id}.alerts`,
    TOPIC_ALERTS_STATE: `test.${id}.alerts-state`,
    TOPIC_ALERT_COMMANDS: `test.${id}.alert-commands`,
    TOPIC_ALERT_SITE_FLOWS: `test.${id}.alert-site-flows`,
    TOPIC_ALERT_DELIVERIES: `test.${id}.alert-deliveries`,
  }
}

describe('web view: the page shows the API figures of a live pipeline', () => {
  const { config, cleanup } = isolatedConfig({ ...alertsEnv(), FOOTPRINT_DEFAULT_COUNTRY: 'BE' })
  const devices: Record<string, TestDevice> = {}
  let pipeline: InProcessPipeline
  let alerts: Started
  let browser: BrowserContext
  let closeBrowser: (() => Promise<void>) | undefined
  let token: string
  // Observations spread over the last 40 minutes, kept inside the current UTC month so the
  // monthly figures see them as well.
  const now = Date.now()
  const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1)
  const start = Math.max(now - 40 * minute, monthStart)
  const at = (step: number): string => new Date(start + ((now - start) * step) / 12).toISOString()

  beforeAll(async () => {
    const container = (id: string, site: string, fraction: string, lon: number, lat: number) =>
      registerDevice(config, { id, tenant, site, kind: 'waste_container', format: 'senml', extra: { wasteFraction: fraction as never, fullnessThreshold: 0.8, location: { type: 'Point', coordinates: [lon, lat] } } })
    devices.glass = await container('bin-glass-1', 'market', 'glass', 4.4012, 51.2194)
    devices.paper = await container('bin-paper-1', 'market', 'paper', 4.4051, 51.2171)
    devices.organic = await container('bin-organic-1', 'harbour', 'organic', 4.4123, 51.2297)
    devices.meter = await registerDevice(config, { id: 'meter-hall', tenant, site: 'hall', kind: 'energy_meter', format: 'ngsi-ld' })
    devices.scale = await registerDevice(config, { id: 'scale-rc', tenant, site: 'recycling-centre', kind: 'weighing_device', format: 'ngsi-ld' })
    pipeline = await startInProcess(config, ['broker', 'normaliser', 'footprint', 'sink', 'api'])
    alerts = await startAlertsComponent(pipeline.platform)
    token = createTestKey(config, { role: 'admin' })
    const chromium = await launchChromium()
    browser = chromium.browser
    closeBrowser = chromium.close
  })
  afterAll(async () => {
    await closeBrowser?.()
    await alerts?.stop()
    await pipeline?.stop()
    cleanup()
  })

  async function publish(device: TestDevice, topic: string, payloads: unknown[]): Promise<void> {
    const client = await mqtt.connectAsync(pipeline.mqttUrl, { clientId: device.device.id, username: device.device.id, password: device.secret, protocolVersion: 4 })
    for (const payload of payloads) await client.publishAsync(`devices/${device.device.id}/${topic}`, JSON.stringify(payload), { qos: 1 })
    await client.endAsync()
  }

  const fills = (id: string, values: number[]) => values.map((v, i) => [{ bn: `urn:dev:${id}:`, bt: Date.parse(at(i * 3)) / 1000, n: 'fillingLevel', u: '/', v }])

  async function api<T>(path: string): Promise<T> {
    const response = await fetch(`${pipeline.apiUrl}${path}`, { headers: bearer(token) })
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
    return (await response.json()) as T
  }
  const footprint = (metric: string, interval = 'day'): Promise<FootprintBody> => {
    const range = interval === 'month' ? { from: new Date(monthStart).toISOString(), to: new Date(Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth() + 1, 1)).toISOString() } : { from: new Date(now - 13 * 86_400_000 - (now % 86_400_000)).toISOString(), to: new Date(now - (now % 86_400_000) + 86_400_000).toISOString() }
    return api<FootprintBody>(`/v1/footprint?metric=${metric}&tenant=${tenant}&interval=${interval}&from=${range.from}&to=${range.to}`)
  }
  async function metrics(): Promise<Map<string, number>> {
    const response = await fetch(`${pipeline.apiUrl}/metrics`, { headers: bearer(token) })
    return new Map([...(await response.text()).matchAll(/^(circular_\w+) (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]))
  }

  test('containers, open alerts, footprint charts, sites and pipeline health show the API values', async () => {
    // Glass fills past its 80 % threshold (a fill alert); paper is filling with a forecast;
    // organic has one reading, too few for a fill rate. One paper reading is out of range.
    await publish(devices.glass!, 'senml', fills('bin-glass-1', [0.2, 0.35, 0.5, 0.85]))
    await publish(devices.paper!, 'senml', [...fills('bin-paper-1', [0.1, 0.2, 0.3]), [{ bn: 'urn:dev:bin-paper-1:', n: 'fillingLevel', u: '/', v: 1.5 }]])
    await publish(devices.organic!, 'senml', fills('bin-organic-1', [0.4]))
    await publish(devices.meter!, 'ngsi-ld', [1000, 1010, 1025].map((kwh, i) => ({ id: 'urn:ngsi-ld:ACMeasurement:meter-hall', type: 'ACMeasurement', totalActiveEnergyImport: { type: 'Property', value: kwh, unitCode: 'KWH', observedAt: at(i * 4) } })))
    const flows: [string, 'in' | 'out', string | undefined, number][] = [
      ['glass', 'in', undefined, 500],
      ['paper', 'in', undefined, 200],
      ['glass', 'out', 'recycling', 400],
      ['paper', 'out', 'landfill', 100],
    ]
    await publish(devices.scale!, 'ngsi-ld', flows.map(([kind, direction, destination, kg], i) => ({ id: `urn:ngsi-ld:WasteObserved:scale-rc-${i}`, type: 'WasteObserved', dateObserved: at(i * 3), weight: kg, storedWasteKind: kind, direction, ...(destination ? { destination } : {}) })))

    // Wait until the API has it all: forecasts, the alert, energy and the last material flow.
    await waitFor(async () => (await api<Forecast>(`/v1/containers/forecast?tenant=${tenant}`)).containers.find((c) => c.deviceId === 'bin-paper-1')?.timeToFullHours !== undefined && (await api<Forecast>(`/v1/containers/forecast?tenant=${tenant}`)).containers.length === 3, 60_000, 'three container forecasts')
    await waitFor(async () => (await api<Alerts>(`/v1/alerts?tenant=${tenant}&state=firing`)).alerts.some((a) => a.rule === 'fill'), 60_000, 'the fill alert')
    await waitFor(async () => sum((await footprint('electricity_co2e')).rows) > 0, 60_000, 'electricity emissions')
    await waitFor(async () => (await footprint('recycling_rate', 'month')).rows[0]?.value === 0.8, 60_000, 'all material flows')
    // The pipeline is idle once its counters stop moving (the API's own request counters aside).
    let previous = ''
    await waitFor(async () => {
      const current = JSON.stringify([...(await metrics())].filter(([name]) => !name.startsWith('circular_api_')))
      const settled = current === previous
      previous = current
      if (!settled) await new Promise((resolve) => setTimeout(resolve, 1000))
      return settled
    }, 60_000, 'the pipeline to settle')

    const page = await browser.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text())
    })
    await page.goto(`${pipeline.apiUrl}/?tenant=${tenant}#key=${token}`)
    await page.waitForSelector('#status[data-state="live"]')
    await page.waitForSelector('#pipeline tr[data-hop="ingest"]')

    // The key left the address bar and stays in the tab.
    expect(page.url()).toBe(`${pipeline.apiUrl}/?tenant=${tenant}`)
    expect(await page.evaluate("sessionStorage.getItem('circular.apiKey')")).toBe(token)
    expect(await page.locator('#tenant').inputValue()).toBe(tenant)

    await checkContainers(page)
    await checkAlerts(page)
    await checkCo2e(page)
    await checkFractions(page)
    await checkRecycling(page)
    await checkSites(page)
    await checkPipeline(page)
    expect(await page.locator('.panel-error:visible').count()).toBe(0)
    expect(pageErrors).toEqual([])

    mkdirSync('test-artifacts', { recursive: true })
    await page.screenshot({ path: screenshotPath, fullPage: true })

    // Once the key is revoked, the page keeps the last figures, says why the API refuses, and
    // after three missed refreshes calls the figures stale.
    new FileApiKeys(config.auth.apiKeysFile).revoke(parseToken(token)!.id)
    await page.waitForSelector('#status[data-state="error"]')
    expect(plain(await page.locator('#problems').textContent())).toContain('/v1/devices: HTTP 401 AUTH_INVALID')
    await page.waitForSelector('#status[data-state="stale"]')
    expect(plain(await page.locator('#status').textContent())).toMatch(/^Stale: last complete update \d+ s ago$/)
    expect(await page.locator('section.panel.stale').count()).toBe(7)
    expect(plain(await page.locator('#containers li[data-device="bin-glass-1"] .fill').textContent())).toBe('85 %')
    await page.close()
  }, 240_000)

  async function checkContainers(page: Page): Promise<void> {
    const { containers } = await api<Forecast>(`/v1/containers/forecast?tenant=${tenant}`)
    for (const container of containers) {
      const card = page.locator(`#containers li[data-device="${container.deviceId}"]`)
      expect(Number(await card.locator('.fill').getAttribute('data-value'))).toBe(container.fillLevel)
      expect(plain(await card.locator('.fill').textContent())).toBe(`${Math.round(container.fillLevel * 100)} %`)
      // And on the map.
      expect(await page.locator(`#containers svg.map g[data-device="${container.deviceId}"]`).count()).toBe(1)
    }
    expect(await page.locator('#containers li[data-device="bin-glass-1"]').getAttribute('class')).toContain('band-full')
    expect(plain(await page.locator('#containers li[data-device="bin-glass-1"] .time-to-full').textContent())).toBe('full: collect')
    const paper = containers.find((c) => c.deviceId === 'bin-paper-1')!
    const paperCard = page.locator('#containers li[data-device="bin-paper-1"] .time-to-full')
    expect(Number(await paperCard.getAttribute('data-hours'))).toBe(paper.timeToFullHours)
    const hours = paper.timeToFullHours!
    expect(plain(await paperCard.textContent())).toBe(hours < 1 ? 'full in < 1 h' : hours < 48 ? `full in ${Math.round(hours)} h` : `full in ${Math.round(hours / 24)} d`)
    expect(plain(await page.locator('#containers li[data-device="bin-organic-1"] .time-to-full').textContent())).toBe('time to full: not yet known')
  }

  async function checkAlerts(page: Page): Promise<void> {
    const { alerts: firing } = await api<Alerts>(`/v1/alerts?tenant=${tenant}&state=firing`)
    expect(await page.locator('#alerts tbody tr').count()).toBe(firing.length)
    const fill = firing.find((a) => a.rule === 'fill' && a.deviceId === 'bin-glass-1')!
    const row = page.locator(`#alerts tr[data-alert="${fill.alertId}"]`)
    expect(plain(await row.locator('.state').textContent())).toBe('firing')
    expect(plain(await row.locator('.device').textContent())).toBe('bin-glass-1')
    expect(plain(await row.locator('.site').textContent())).toBe(fill.site)
    expect(plain(await row.locator('.value').textContent())).toBe(`${Math.round(Number(fill.value) * 100)} %`)
  }

  async function checkCo2e(page: Page): Promise<void> {
    const electricity = await footprint('electricity_co2e')
    const legend = page.locator('#co2e li[data-series="electricity_co2e"]')
    expect(Number(await legend.getAttribute('data-value'))).toBeCloseTo(sum(electricity.rows), 9)
    const shown = await legend.locator('b').textContent()
    expect(Math.abs(shownNumber(shown) - sum(electricity.rows))).toBeLessThanOrEqual(shownPrecision(shown))
    const today = electricity.rows.at(-1)!
    expect(Number(await page.locator(`#co2e rect[data-key="${today.time.slice(0, 10)}/electricity_co2e"]`).getAttribute('data-value'))).toBeCloseTo(today.value, 9)
  }

  async function checkFractions(page: Page): Promise<void> {
    const received = await footprint('waste_received_kg')
    for (const fraction of ['glass', 'paper']) {
      const kg = sum(received.rows.filter((r) => r.dims.fraction === fraction))
      expect(Number(await page.locator(`#fractions rect[data-key="${fraction}/waste_received_kg"]`).getAttribute('data-value'))).toBe(kg)
      expect(await page.locator(`#fractions rect[data-key="${fraction}/waste_received_kg"] title`).textContent()).toContain(`${kg} kg`)
    }
  }

  async function checkRecycling(page: Page): Promise<void> {
    const month = await footprint('recycling_rate', 'month')
    const rate = month.rows[0]!.value
    expect(Number(await page.locator('#recycling .month-rate').getAttribute('data-value'))).toBe(rate)
    expect(plain(await page.locator('#recycling .month-rate').textContent())).toBe(`${Math.round(rate * 100)} %`)
    const targets = (await attributeOfEach(page.locator('#recycling g.target'), 'data-value')).map(Number)
    expect(targets).toEqual(month.targets.map((t) => t.value))
    const daily = await footprint('recycling_rate')
    const today = daily.rows.at(-1)!
    expect(Number(await page.locator(`#recycling circle[data-key="${today.time.slice(0, 10)}"]`).getAttribute('data-value'))).toBe(today.value)
  }

  async function checkSites(page: Page): Promise<void> {
    const monthRange = `from=${new Date(monthStart).toISOString()}&to=${new Date(Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth() + 1, 1)).toISOString()}`
    const { kpis } = await api<{ kpis: ({ metric: string } & FootprintBody)[] }>(`/v1/sites/recycling-centre/kpis?tenant=${tenant}&interval=month&${monthRange}`)
    const row = page.locator('#sites tr[data-site="recycling-centre"]')
    expect(Number(await row.locator('.received').getAttribute('data-value'))).toBe(sum(kpis.find((k) => k.metric === 'waste_received_kg')!.rows))
    expect(Number(await row.locator('.recycling').getAttribute('data-value'))).toBe(kpis.find((k) => k.metric === 'recycling_rate')!.rows[0]!.value)
    expect(await attributeOfEach(page.locator('#sites tbody tr'), 'data-site')).toEqual(['hall', 'harbour', 'market', 'recycling-centre'])
  }

  async function checkPipeline(page: Page): Promise<void> {
    const counters = await metrics()
    const columns = { received: ['received'], accepted: ['accepted', 'applied'], deadLettered: ['dead_lettered'], stored: ['stored'] }
    for (const hop of ['ingest', 'normaliser', 'store_sink', 'footprint', 'alerts']) {
      for (const [column, names] of Object.entries(columns)) {
        const values = names.map((name) => counters.get(`circular_${hop}_${name}_total`)).filter((v): v is number => v !== undefined)
        const cell = page.locator(`#pipeline tr[data-hop="${hop}"] td.${column}`)
        if (values.length === 0) expect(plain(await cell.textContent())).toBe('–')
        else expect(shownNumber(await cell.textContent())).toBe(values.reduce((a, b) => a + b, 0))
      }
    }
    // The out-of-range fill level was dead-lettered by the normaliser, and the page says so.
    expect(counters.get('circular_normaliser_dead_lettered_total')).toBeGreaterThan(0)
    expect(await page.locator('#pipeline tr[data-hop="normaliser"]').getAttribute('class')).toContain('has-dead-letters')
  }

  test('without a key the page says plainly that the API wants one', async () => {
    const page = await browser.newPage()
    await page.goto(`${pipeline.apiUrl}/?tenant=${tenant}`)
    await page.waitForSelector('#status[data-state="error"]')
    const problems = plain(await page.locator('#problems').textContent())
    expect(problems).toContain('The API asks for a key')
    expect(problems).toContain('/v1/devices: HTTP 401 AUTH_REQUIRED')
    await page.close()
  })
})
