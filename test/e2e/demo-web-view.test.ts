import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { embeddedEnv } from '../support/circular-process.js'
import { freePort, startPlatformChild, type PlatformChild } from '../support/platform-child.js'
import { waitFor } from '../support/pipeline.js'
import { attributeOfEach, hoursAheadText, launchChromium, percentText, plain, shownNumber, shownPrecision, sum, type Alerts, type FootprintBody, type Forecast } from '../support/web-view-page.js'

/**
 * `circular start --demo` as someone evaluating the platform runs it: embedded bus and store, the
 * demo city replaying two days of history, and the live view at the address the banner prints,
 * opened in Debian's Chromium. Every figure checked on the page must be the one the API answers.
 */

const tenant = 'demo-city'
const screenshotPath = 'test-artifacts/demo-web-view.png'
const narrowScreenshotPath = 'test-artifacts/demo-web-view-narrow.png'
/** The map with the tip of a focused marker. */
const mapTipScreenshotPath = 'test-artifacts/demo-web-view-map-tip.png'
const dayMs = 86_400_000

interface Device {
  id: string
  kind: string
  fullnessThreshold?: number
}

/** The last 14 UTC days up to today and the current UTC month, as the page's panels ask for them. */
function ranges(now: number): { days: string; month: string } {
  const today = Math.floor(now / dayMs) * dayMs
  const date = new Date(now)
  const monthFrom = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)
  const monthTo = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)
  return {
    days: `from=${new Date(today - 13 * dayMs).toISOString()}&to=${new Date(today + dayMs).toISOString()}`,
    month: `from=${new Date(monthFrom).toISOString()}&to=${new Date(monthTo).toISOString()}`,
  }
}

describe('demo run: the live view shows the demo city with the API figures', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'circular-demo-web-'))
  let child: PlatformChild
  let banner: string
  let mqttPort: number
  let browser: BrowserContext
  let closeBrowser: (() => Promise<void>) | undefined

  beforeAll(async () => {
    mqttPort = await freePort()
    child = startPlatformChild({ stateDir, mqttPort, apiPort: await freePort(), args: ['--demo', '--history-hours', '48'] })
    banner = await child.banner()
    const chromium = await launchChromium()
    browser = chromium.browser
    closeBrowser = chromium.close
  })
  afterAll(async () => {
    await closeBrowser?.()
    await child?.kill('SIGTERM')
    rmSync(stateDir, { recursive: true, force: true })
  })

  const api = <T>(path: string): Promise<T> => child.api<T>(path)
  const footprint = (metric: string, range: string, interval = 'day'): Promise<FootprintBody> => api(`/v1/footprint?metric=${metric}&tenant=${tenant}&interval=${interval}&${range}`)
  async function metrics(): Promise<Map<string, number>> {
    const response = await fetch(`${child.apiUrl}/metrics`, { headers: { authorization: `Bearer ${child.adminKey()}` } })
    return new Map([...(await response.text()).matchAll(/^(circular_\w+) (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]))
  }
  /** Compares once the page has caught up: the demo keeps publishing and the page refreshes every 5 s. */
  const eventually = (what: string, check: () => Promise<void>): Promise<true> =>
    waitFor(
      async () => {
        await check()
        return true
      },
      30_000,
      what,
    )

  test('the banner names the MQTT port it took, and its steps connect a device', async () => {
    const line = (label: string): string => banner.split('\n').find((l) => l.trimStart().startsWith(label)) ?? ''
    expect(line('MQTT broker')).toBe(`  MQTT broker  mqtt://127.0.0.1:${mqttPort}`)
    expect(line('live view')).toBe(`  live view    ${child.apiUrl}/?tenant=${tenant}  (admin key in ${stateDir}/admin-key; the page asks for it once)`)
    expect(banner).not.toContain(child.adminKey())
    expect(line('demo city')).toBe(`  demo city    tenant ${tenant}, 16 devices`)
    expect(line('bus')).toBe(`  bus          embedded (${stateDir}/bus.sqlite)`)
    expect(line('store')).toBe(`  store        embedded (${stateDir}/store.sqlite)`)

    // Follow "Connect a device" literally: register with the command shown, then publish with
    // mosquitto_pub to the port shown, with the secret the first command printed.
    const steps = banner.slice(banner.indexOf('Connect a device:'))
    const add = steps.split('\n')[1]!.trim()
    expect(add).toMatch(/^npx circular devices add --id bin-1 /)
    const registered = execFileSync('bash', ['-c', add], { env: embeddedEnv(stateDir), encoding: 'utf8' })
    const secret = /MQTT password \(shown once, store it now\): (\S+)/.exec(registered)?.[1]
    expect(secret).toBeDefined()
    const publish = steps.slice(steps.indexOf('mosquitto_pub')).trim()
    expect(publish).toContain(`mosquitto_pub -p ${mqttPort} `)
    // The broker notices the new registry entry within about a second; until then it refuses the device.
    await waitFor(() => {
      execFileSync('bash', ['-c', publish.replace("'<secret printed above>'", `'${secret}'`)], { stdio: 'pipe' })
      return true
    }, 20_000, 'mosquitto_pub to be accepted')
    const reading = await waitFor(async () => (await api<{ readings: { field: string; value: unknown }[] }>('/v1/devices/bin-1/readings')).readings.find((r) => r.field === 'filling_level'), 20_000, 'the published reading')
    expect(reading.value).toBe(0.42)
  })

  test('containers, open alerts and footprint charts show the API figures; screenshot saved', async () => {
    // The demo city has been replayed far enough for every panel to have real data …
    const now = (): ReturnType<typeof ranges> => ranges(Date.now())
    await waitFor(async () => (await api<Forecast>(`/v1/containers/forecast?tenant=${tenant}`)).containers.length >= 11, 60_000, 'forecasts of the 11 demo containers')
    await waitFor(async () => (await api<Alerts>(`/v1/alerts?tenant=${tenant}&state=firing`)).alerts.length > 0, 60_000, 'a firing alert')
    await waitFor(async () => sum((await footprint('electricity_co2e', now().days)).rows) > 0 && sum((await footprint('waste_received_kg', now().days)).rows) > 0, 60_000, 'footprint figures')
    // … and has caught up with the clock: the pipeline's counters stop moving once the history is in.
    let previous = ''
    await waitFor(async () => {
      const current = JSON.stringify([...(await metrics())].filter(([name]) => name.startsWith('circular_ingest_') || name.startsWith('circular_store_sink_')))
      const settled = current === previous
      previous = current
      if (!settled) await new Promise((resolve) => setTimeout(resolve, 1500))
      return settled
    }, 75_000, 'the demo history to be replayed')

    const page = await browser.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text())
    })
    const [, liveView, keyFile] = /live view\s+(\S+)\s+\(admin key in (\S+);/.exec(banner)!
    await page.goto(liveView!)
    // As an operator would: the page asks for the key once, and it comes from the file the banner names.
    await page.locator('#api-key').fill(readFileSync(keyFile!, 'utf8').trim())
    await page.getByRole('button', { name: 'Use this key' }).click()
    await page.waitForSelector('#status[data-state="live"]')
    await page.waitForSelector('#containers li[data-device]')
    expect(await page.evaluate("sessionStorage.getItem('circular.apiKey')")).toBe(child.adminKey())
    expect(page.url()).toBe(`${child.apiUrl}/?tenant=${tenant}`)
    // The browser reported the API's 401s before the key was given; from here on, nothing may go wrong.
    pageErrors.length = 0
    expect(await page.locator('#tenant').inputValue()).toBe(tenant)

    await eventually('the containers to show the forecasts', () => checkContainers(page))
    await eventually('the alerts table to show the open alerts', () => checkAlerts(page))
    await eventually('the charts to show the footprint figures', () => checkCharts(page))
    expect(await page.locator('.panel-error:visible').count()).toBe(0)
    expect(pageErrors).toEqual([])

    // At 1280 px nothing is cut and no map labels collide; the markers say what they stand for.
    await checkLayout(page, 2)
    mkdirSync('test-artifacts', { recursive: true })
    await page.screenshot({ path: screenshotPath, fullPage: true })
    await checkMarkers(page)
    await page.evaluate('document.activeElement.blur()')
    await page.mouse.move(0, 0)

    // At 800 px the panels stack in one column, still with nothing cut.
    await page.setViewportSize({ width: 800, height: 1000 })
    await checkLayout(page, 1)
    await page.screenshot({ path: narrowScreenshotPath, fullPage: true })
    expect(pageErrors).toEqual([])
    await page.close()
  }, 150_000)

  /** Panels per row, panels whose content is wider than they are, and map labels that overlap. */
  async function checkLayout(page: Page, columns: number): Promise<void> {
    const layout = await page.evaluate<{ firstRow: number; cut: string[]; overlapping: string[]; labels: number }>(`(() => {
      const tops = [...document.querySelectorAll('main > section.panel:not(.wide)')].map((s) => Math.round(s.getBoundingClientRect().top))
      const cut = [...document.querySelectorAll('section.panel')].filter((s) => {
        const body = s.querySelector('.panel-body')
        return body.scrollWidth > body.clientWidth || s.scrollWidth > s.clientWidth
      }).map((s) => s.id)
      const boxes = [...document.querySelectorAll('#containers svg.map .label')].map((l) => ({ id: l.dataset.labelFor, box: l.getBoundingClientRect() }))
      const overlapping = boxes.flatMap((a, i) => boxes.slice(i + 1).filter((b) => a.box.left < b.box.right && b.box.left < a.box.right && a.box.top < b.box.bottom && b.box.top < a.box.bottom).map((b) => a.id + ' / ' + b.id))
      return { firstRow: tops.filter((top) => top === tops[0]).length, cut, overlapping, labels: boxes.length }
    })()`)
    expect(layout.firstRow).toBe(columns)
    expect(layout.cut).toEqual([])
    expect(layout.overlapping).toEqual([])
    expect(layout.labels).toBeGreaterThan(0)
  }

  /** Every marker is a focusable button named after its container and fill level; choosing it focuses the card. */
  async function checkMarkers(page: Page): Promise<void> {
    const { containers } = await api<Forecast>(`/v1/containers/forecast?tenant=${tenant}`)
    for (const container of containers) {
      const marker = page.locator(`#containers svg.map g[data-device="${container.deviceId}"]`)
      expect(await marker.getAttribute('tabindex')).toBe('0')
      expect(await marker.getAttribute('role')).toBe('button')
      expect(plain(await marker.locator('title').textContent())).toMatch(new RegExp(`^${container.deviceId}: ${percentText(container.fillLevel)} full, `))
    }
    const full = containers.find((c) => c.deviceId === `${tenant}-bin-inorganic-00`)!
    await page.locator(`#containers svg.map g[data-device="${full.deviceId}"]`).focus()
    expect(plain(await page.locator('#containers svg.map .tip').textContent())).toBe(`${full.deviceId} · ${percentText(full.fillLevel)}`)
    await page.locator('#containers svg.map').screenshot({ path: mapTipScreenshotPath })
    await page.keyboard.press('Enter')
    expect(await page.evaluate("document.activeElement.tagName + ' ' + document.activeElement.dataset.device")).toBe(`LI ${full.deviceId}`)
    // The next refresh redraws the cards, and the focus moves to the new card of the same container.
    await page.evaluate("document.activeElement.dataset.before = 'refresh'")
    await waitFor(async () => (await page.evaluate(`document.activeElement.tagName === 'LI' && document.activeElement.dataset.device === ${JSON.stringify(full.deviceId)} && document.activeElement.dataset.before === undefined`)) === true, 15_000, 'the focus to follow the redrawn card')
    // The pointer shows the tip too.
    const other = containers.find((c) => c.deviceId === `${tenant}-bin-glass-02`)!
    await page.locator(`#containers svg.map g[data-device="${other.deviceId}"]`).hover()
    expect(plain(await page.locator('#containers svg.map .tip').textContent())).toBe(`${other.deviceId} · ${percentText(other.fillLevel)}`)
    expect(await page.locator('#containers svg.map .tip').getAttribute('visibility')).toBe('visible')
  }

  async function checkContainers(page: Page): Promise<void> {
    const { containers } = await api<Forecast>(`/v1/containers/forecast?tenant=${tenant}`)
    const { devices } = await api<{ devices: Device[] }>(`/v1/devices?tenant=${tenant}&kind=waste_container`)
    expect((await attributeOfEach(page.locator('#containers li[data-device]'), 'data-device')).sort()).toEqual(devices.map((d) => d.id).sort())
    const fills = new Set<number>()
    let full = 0
    for (const container of containers) {
      const card = page.locator(`#containers li[data-device="${container.deviceId}"]`)
      expect(Number(await card.locator('.fill').getAttribute('data-value')), container.deviceId).toBe(container.fillLevel)
      expect(plain(await card.locator('.fill').textContent())).toBe(percentText(container.fillLevel))
      const threshold = devices.find((d) => d.id === container.deviceId)?.fullnessThreshold ?? 0.8
      const hours = container.timeToFullHours
      const timeToFull = container.fillLevel >= threshold ? 'full: collect' : hours === undefined ? 'time to full: not yet known' : `full in ${hoursAheadText(hours)}`
      expect(plain(await card.locator('.time-to-full').textContent()), container.deviceId).toBe(timeToFull)
      if (hours !== undefined) expect(Number(await card.locator('.time-to-full').getAttribute('data-hours'))).toBe(hours)
      expect(await page.locator(`#containers svg.map g[data-device="${container.deviceId}"]`).count()).toBe(1)
      fills.add(container.fillLevel)
      if (container.fillLevel >= threshold) full++
    }
    // Real figures of a city, not placeholders: fill levels differ, and the container the round
    // misses is full.
    expect(fills.size).toBeGreaterThan(5)
    expect(full).toBeGreaterThan(0)
    expect(await page.locator(`#containers li[data-device="${tenant}-bin-inorganic-00"]`).getAttribute('class')).toContain('band-full')
  }

  async function checkAlerts(page: Page): Promise<void> {
    const open = (await Promise.all(['firing', 'acknowledged'].map((state) => api<Alerts>(`/v1/alerts?tenant=${tenant}&state=${state}`)))).flatMap((body) => body.alerts)
    expect(open.length).toBeGreaterThan(0)
    expect(await page.locator('#alerts tbody tr').count()).toBe(open.length)
    expect(plain(await page.locator('#alerts .count').textContent())).toBe(String(open.length))
    for (const alert of open) {
      const row = page.locator(`#alerts tr[data-alert="${alert.alertId}"]`)
      expect(plain(await row.locator('.state').textContent())).toBe(alert.state)
      expect(plain(await row.locator('.rule').textContent())).toBe(alert.rule.replace(/_/g, ' '))
      expect(plain(await row.locator('.device').textContent())).toBe(alert.deviceId)
      expect(plain(await row.locator('.site').textContent())).toBe(alert.site)
      const shown = plain(await row.locator('.value').textContent())
      if (typeof alert.value === 'number' && (alert.rule === 'fill' || alert.rule === 'low_battery')) expect(shown).toBe(percentText(alert.value))
      else if (typeof alert.value === 'number' && alert.rule === 'fire') expect(Math.abs(shownNumber(shown.replace(' °C', '')) - alert.value)).toBeLessThanOrEqual(shownPrecision(shown.replace(' °C', '')))
      else expect(shown).toBe(alert.value === undefined ? '' : String(alert.value))
    }
  }

  async function checkCharts(page: Page): Promise<void> {
    const range = ranges(Date.now())
    // CO2e per day: each source's 14-day total in the legend, and today's bar.
    let total = 0
    for (const source of ['electricity_co2e', 'heat_co2e', 'gas_co2e', 'treatment_co2e']) {
      const body = await footprint(source, range.days)
      const legend = page.locator(`#co2e li[data-series="${source}"]`)
      expect(Number(await legend.getAttribute('data-value')), source).toBeCloseTo(sum(body.rows), 9)
      const shown = await legend.locator('b').textContent()
      expect(Math.abs(shownNumber(shown) - sum(body.rows)), source).toBeLessThanOrEqual(shownPrecision(shown))
      total += sum(body.rows)
    }
    expect(total).toBeGreaterThan(0)
    expect(Number(await page.locator('#co2e li[data-series="total"]').getAttribute('data-value'))).toBeCloseTo(total, 9)
    const electricity = await footprint('electricity_co2e', range.days)
    const today = electricity.rows.at(-1)!
    expect(Number(await page.locator(`#co2e rect[data-key="${today.time.slice(0, 10)}/electricity_co2e"]`).getAttribute('data-value'))).toBeCloseTo(today.value, 9)

    // Waste by fraction: what the recycling centre received and the rounds collected, per fraction.
    for (const metric of ['waste_received_kg', 'waste_collected_kg']) {
      const rows = (await footprint(metric, range.days)).rows
      const fractions = [...new Set(rows.map((r) => r.dims.fraction ?? 'unknown'))]
      if (metric === 'waste_received_kg') expect(fractions.length).toBeGreaterThan(1)
      for (const fraction of fractions) {
        const kg = sum(rows.filter((r) => (r.dims.fraction ?? 'unknown') === fraction))
        expect(Number(await page.locator(`#fractions rect[data-key="${fraction}/${metric}"]`).getAttribute('data-value')), `${fraction} ${metric}`).toBeCloseTo(kg, 9)
      }
    }

    // Recycling rate this month against the EU targets.
    const month = await footprint('recycling_rate', range.month, 'month')
    const rate = month.rows[0]?.value
    // Early on the first of a month the demo may not have sent anything out yet this month.
    expect(plain(await page.locator('#recycling .month-rate').textContent())).toBe(rate === undefined ? 'no outflows yet' : percentText(rate))
    if (rate !== undefined) expect(Number(await page.locator('#recycling .month-rate').getAttribute('data-value'))).toBe(rate)
    expect((await attributeOfEach(page.locator('#recycling g.target'), 'data-value')).map(Number)).toEqual(month.targets.map((t) => t.value))
  }
})
