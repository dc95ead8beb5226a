import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Locator } from 'playwright-core'

/**
 * What the tests of the live web view share: the API's answers as the page reads them, the way
 * the page prints numbers (api/web/format.js), and Debian's Chromium driven by playwright-core.
 */

export interface Row {
  time: string
  dims: Record<string, string>
  value: number
}
export interface FootprintBody {
  rows: Row[]
  targets: { year: number; value: number }[]
}
export interface Forecast {
  containers: { deviceId: string; fillLevel: number; timeToFullHours?: number; observedAt?: string; site?: string; fraction?: string }[]
}
export interface Alerts {
  alerts: { alertId: string; rule: string; state: string; deviceId: string; site: string; firedAt: string; value?: number | string; reason?: string }[]
}

export const sum = (rows: readonly Row[]): number => rows.reduce((total, row) => total + row.value, 0)
/** The page's text with its narrow and non-breaking spaces read as plain ones. */
export const plain = (text: string | null): string => (text ?? '').replace(/[\u00a0\u202f]/g, ' ').trim()
/** A number as the page prints it ("1 234", "6.16", "−3"), back to a number. */
export const shownNumber = (text: string | null): number => Number(plain(text).replace(/ /g, '').replace('−', '-'))
/** Half a unit of the last digit the page shows: how far a shown figure may be from the exact one. */
export const shownPrecision = (text: string | null): number => 0.5 * 10 ** -(plain(text).split('.')[1]?.length ?? 0)
export async function attributeOfEach(elements: Locator, name: string): Promise<(string | null)[]> {
  return Promise.all((await elements.all()).map((element) => element.getAttribute(name)))
}
/** A ratio as the page's whole percentage. */
export const percentText = (ratio: number): string => `${Math.round(ratio * 100)} %`
/** Hours ahead as the page's container card says them. */
export const hoursAheadText = (hours: number): string => (hours < 1 ? '< 1 h' : hours < 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} d`)

/** Debian's Chromium, headless, with a throw-away profile; `close` removes the profile too. */
export async function launchChromium(): Promise<{ browser: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'circular-chromium-'))
  try {
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 1000 },
    })
    return {
      browser,
      close: async () => {
        await browser.close()
        rmSync(profile, { recursive: true, force: true })
      },
    }
  } catch (error) {
    rmSync(profile, { recursive: true, force: true })
    throw error
  }
}
