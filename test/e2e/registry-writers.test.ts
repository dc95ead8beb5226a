import mqtt from 'mqtt'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { bearer, createTestKey } from '../support/api-auth.js'
import { spawnBroker, start, type Running } from '../support/circular-process.js'
import { startInProcess, type InProcessPipeline } from '../support/in-process.js'
import { isolatedConfig } from '../support/pipeline.js'

interface Registered {
  credentials: { deviceId: string; secret: string }
}

/** CONNACK return code of one CONNECT with the device's id and secret; 0 when it was accepted. */
async function connackOf(url: string, id: string, secret: string): Promise<number> {
  try {
    const client = await mqtt.connectAsync(url, { clientId: id, username: id, password: secret, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000 })
    await client.endAsync()
    return 0
  } catch (error) {
    return (error as { code?: number }).code ?? -1
  }
}

describe('device registry: two processes writing at once lose nothing and undo no revocation', () => {
  const { config, env, cleanup } = isolatedConfig()
  let pipeline: InProcessPipeline
  let secondBroker: Running
  let secondUrl: string

  beforeAll(async () => {
    pipeline = await startInProcess(config, ['broker', 'api'])
    // Another broker instance in a process of its own, on the same registry file.
    const spawned = await spawnBroker(env)
    secondBroker = spawned.broker
    secondUrl = spawned.url
  }, 90_000)
  afterAll(async () => {
    await secondBroker?.kill('SIGTERM')
    await pipeline?.stop()
    cleanup()
  })

  test('the CLI process and the API each add 150 and revoke 25: exactly 250 remain, and the 50 are refused on both brokers', async () => {
    expect(secondUrl).toMatch(/^mqtt:/)
    const headers = { ...bearer(createTestKey(config, { role: 'admin' })), 'content-type': 'application/json' }
    const writer = start(['--import', 'tsx', 'test/support/registry-writer.ts', 'cli', '150', '25'], { ...process.env, ...env } as Record<string, string>)
    const secrets: Record<string, string> = {}
    const revoked: string[] = []
    // The API's share, a few requests at a time, while the other process writes.
    const api = async (): Promise<void> => {
      for (let i = 0; i < 150; i++) {
        const response = await fetch(`${pipeline.apiUrl}/v1/devices`, { method: 'POST', headers, body: JSON.stringify({ id: `api-${i}`, tenant: 'lockcity', site: 'depot', kind: 'waste_container', format: 'senml' }) })
        expect(response.status, await response.clone().text()).toBe(201)
        const body = (await response.json()) as Registered
        secrets[body.credentials.deviceId] = body.credentials.secret
        if (i >= 5 && revoked.length < 25) {
          const id = `api-${i - 5}`
          const removed = await fetch(`${pipeline.apiUrl}/v1/devices/${id}`, { method: 'DELETE', headers: bearer(createTestKey(config, { role: 'admin' })) })
          expect(removed.status).toBe(200)
          revoked.push(id)
        }
      }
    }
    await api()
    const finished = await writer.finished
    expect(finished.code, finished.stderr).toBe(0)
    const cli = JSON.parse(finished.stdout.trim().split('\n').at(-1)!) as { secrets: Record<string, string>; revoked: string[] }
    Object.assign(secrets, cli.secrets)
    revoked.push(...cli.revoked)
    expect(revoked).toHaveLength(50)

    const remaining = new FileRegistry(config.registryFile).list().map((d) => d.id)
    expect(remaining).toHaveLength(250)
    expect(new Set(remaining)).toEqual(new Set(Object.keys(secrets).filter((id) => !revoked.includes(id))))

    // Every revoked device is refused at its next CONNECT on both broker instances (4: unknown device) …
    for (const url of [pipeline.mqttUrl, secondUrl]) {
      const codes = await Promise.all(revoked.map((id) => connackOf(url, id, secrets[id]!)))
      expect(codes, url).toEqual(revoked.map(() => 4))
    }
    // … and devices that remain get in on both, the ones registered by either writer.
    for (const url of [pipeline.mqttUrl, secondUrl]) for (const id of ['api-149', 'cli-149', 'api-30', 'cli-30']) expect(await connackOf(url, id, secrets[id]!), `${id} on ${url}`).toBe(0)
    // None reappears later.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(new FileRegistry(config.registryFile).list().filter((d) => revoked.includes(d.id))).toEqual([])
  }, 240_000)
})
