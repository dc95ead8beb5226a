import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { circular } from '../support/circular-process.js'
import { freePort, startPlatformChild } from '../support/platform-child.js'

const stateDir = mkdtempSync(join(tmpdir(), 'circular-build-'))
afterAll(() => rmSync(stateDir, { recursive: true, force: true }))

/** A deployment runs dist/ without tsx; CIRCULAR_USE_BUILD=1 makes this checkout do the same. */
const useBuild = { CIRCULAR_USE_BUILD: '1' }

describe('bin/circular.js on the compiled build', () => {
  test('without a build it says so instead of running the sources', async () => {
    rmSync('dist', { recursive: true, force: true })
    const result = await circular(['devices', 'list'], stateDir, useBuild).finished
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('no compiled build in dist/ (run `npm run build`)')
  })

  test('npm run build gives JavaScript that runs the whole platform (the API loads the factor sets at start-up) with its live view', { timeout: 180_000 }, async () => {
    execFileSync('npm', ['run', 'build'], { stdio: 'pipe' })
    expect(existsSync('dist/cli/main.js')).toBe(true)
    expect(existsSync('dist/dashboards')).toBe(false)

    const added = await circular(['devices', 'add', '--id', 'bin-7', '--kind', 'waste_container', '--tenant', 'city', '--site', 'depot'], stateDir, useBuild).finished
    expect(added.code, added.stderr).toBe(0)

    const platform = startPlatformChild({ stateDir, mqttPort: await freePort(), apiPort: await freePort(), env: useBuild })
    try {
      await platform.banner()
      const health = await fetch(`${platform.apiUrl}/health`)
      expect(await health.json()).toEqual({ status: 'ok', embeddedBus: { reachable: true }, embeddedStore: { reachable: true } })
      expect((await fetch(`${platform.apiUrl}/`)).status).toBe(200)
      expect((await fetch(`${platform.apiUrl}/web/main.js`)).status).toBe(200)
      expect(await platform.api<{ devices: { id: string }[] }>('/v1/devices')).toMatchObject({ devices: [{ id: 'bin-7' }] })
    } finally {
      await platform.kill('SIGTERM')
    }
  })
})
