import { userInfo } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { AuditLog } from '../../core/registry/audit-log.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { verifySecret } from '../../core/registry/secret.js'
import { runCircular, stateDirs } from '../support/circular-process.js'

const dirs = stateDirs()
afterAll(() => dirs.cleanup())
const add = (stateDir: string, flags: string[]) => runCircular(['devices', 'add', '--id', 'bin-1', '--tenant', 'ghent', '--site', 'binnenstad', '--kind', 'waste_container', ...flags], stateDir)

describe('circular devices add', () => {
  test('should register the device with its enrichment, the location as longitude then latitude, and print the secret once', async () => {
    const stateDir = dirs.make()
    const { code, stdout } = await add(stateDir, ['--lat', '51.0543', '--lon', '3.7174', '--waste-fraction', 'paper', '--container-volume-m3', '3', '--container-type', 'underground-3m3', '--fullness-threshold', '0.85'])
    expect(code).toBe(0)
    const lines = stdout.trim().split('\n')
    expect(lines.slice(0, 2)).toEqual(['registered bin-1 (tenant ghent, site binnenstad, waste_container)', '  MQTT username / client id: bin-1'])
    const secret = /^ {2}MQTT password \(shown once, store it now\): (\S+)$/.exec(lines[2] ?? '')?.[1] ?? ''
    expect(lines.slice(3)).toEqual([
      '  publish ngsiLd           devices/bin-1/ngsi-ld',
      '  publish senml            devices/bin-1/senml',
      '  publish registeredFormat devices/bin-1/attrs',
      '  publish iotAgentJson     /json/ghent/bin-1/attrs',
      '  publish ultralight       /ul/ghent/bin-1/attrs',
    ])
    const device = new FileRegistry(join(stateDir, 'registry.json')).get('bin-1')!
    expect(device).toMatchObject({
      tenant: 'ghent',
      site: 'binnenstad',
      format: 'auto',
      apiKey: 'ghent',
      location: { type: 'Point', coordinates: [3.7174, 51.0543] },
      wasteFraction: 'paper',
      containerVolumeM3: 3,
      containerType: 'underground-3m3',
      fullnessThreshold: 0.85,
    })
    expect(await verifySecret(secret, device.secretHash)).toBe(true)
    expect(new AuditLog(join(stateDir, 'audit.jsonl')).read({ limit: 1 })).toMatchObject([{ actor: `cli:${userInfo().username}`, action: 'device.add', tenant: 'ghent', target: 'bin-1' }])
  }, 30_000)

  test('--json should print the credentials and topics as JSON, with the API key given', async () => {
    const stateDir = dirs.make()
    const { stdout } = await add(stateDir, ['--api-key', 'key-7', '--format', 'ultralight', '--json'])
    const credentials = JSON.parse(stdout) as { deviceId: string; username: string; clientId: string; secret: string; topics: Record<string, string> }
    expect(credentials).toMatchObject({ deviceId: 'bin-1', username: 'bin-1', clientId: 'bin-1', topics: { ultralight: '/ul/key-7/bin-1/attrs', iotAgentJson: '/json/key-7/bin-1/attrs' } })
    expect(new FileRegistry(join(stateDir, 'registry.json')).get('bin-1')).toMatchObject({ apiKey: 'key-7', format: 'ultralight' })
  }, 30_000)

  test('an invalid value should be refused naming its flag as typed, and register nothing', async () => {
    const stateDir = dirs.make()
    for (const [flags, flag] of [
      [['--container-volume-m3', '-1'], '--container-volume-m3'],
      [['--waste-fraction', 'wood'], '--waste-fraction'],
      [['--meter-type', 'steam'], '--meter-type'],
      [['--kind', 'toaster'], '--kind'],
    ] as const) {
      const { code, stderr } = await add(stateDir, [...flags])
      expect(code, flag).toBe(1)
      expect(stderr, flag).toMatch(new RegExp(`^circular: invalid device: ${flag}: `))
    }
    // A latitude without a longitude is no location.
    expect((await add(stateDir, ['--lat', '51.05'])).code).toBe(1)
    expect(new FileRegistry(join(stateDir, 'registry.json')).list()).toEqual([])
  }, 90_000)
})

describe('circular devices list and remove', () => {
  test('list should never show a secret hash; remove should end the registration and be audited', async () => {
    const stateDir = dirs.make()
    await add(stateDir, [])
    const listed = await runCircular(['devices', 'list'], stateDir)
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id: 'bin-1', tenant: 'ghent' }])
    expect(listed.stdout).not.toContain('secretHash')
    expect(listed.stdout).not.toMatch(/scrypt\$|sha256\$|secretHash/)
    expect(await runCircular(['devices', 'remove', 'bin-1'], stateDir)).toMatchObject({ code: 0, stdout: 'removed bin-1\n' })
    expect(new FileRegistry(join(stateDir, 'registry.json')).list()).toEqual([])
    expect(new AuditLog(join(stateDir, 'audit.jsonl')).read({ limit: 1 })).toMatchObject([{ action: 'device.remove', tenant: 'ghent', target: 'bin-1' }])
    const again = await runCircular(['devices', 'remove', 'bin-1'], stateDir)
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^circular: DEVICE_UNKNOWN: /)
  }, 60_000)
})
