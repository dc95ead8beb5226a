import { describe, expect, test } from 'vitest'
import { SecretChecks } from '../../broker/secret-checks.js'
import type { Device } from '../../core/registry/device.js'
import { generateSecret, hashSecret, hashSecretWithScrypt } from '../../core/registry/secret.js'

const device = (id: string, secretHash: string): Device => ({ id, tenant: 'city', site: 'north', kind: 'waste_container', format: 'senml', apiKey: 'city', secretHash, createdAt: new Date(0).toISOString() })

describe('SecretChecks', () => {
  test('a fast hash should be checked cheaply, right or wrong', async () => {
    const secret = generateSecret()
    const bin = device('bin-1', await hashSecret(secret))
    const checks = new SecretChecks()
    expect(await checks.cheap(bin, secret)).toBe(true)
    expect(await checks.cheap(bin, 'wrong')).toBe(false)
  })

  test('a slow hash should need the slow check once; then the remembered secret checks cheaply, and anything else is wrong', async () => {
    const secret = generateSecret()
    const bin = device('bin-2', await hashSecretWithScrypt(secret))
    const checks = new SecretChecks()
    expect(await checks.cheap(bin, secret)).toBeUndefined()
    expect(await checks.slow(bin, 'wrong')).toBe(false)
    expect(await checks.cheap(bin, secret)).toBeUndefined()
    expect(await checks.slow(bin, secret)).toBe(true)
    expect(await checks.cheap(bin, secret)).toBe(true)
    expect(await checks.cheap(bin, 'wrong')).toBe(false)
    // Registered again (a new hash): the slow check again.
    const again = device('bin-2', await hashSecretWithScrypt(secret))
    expect(await checks.cheap(again, secret)).toBeUndefined()
  })

  test('slow checks of one device should run one at a time', async () => {
    const secret = generateSecret()
    const bin = device('bin-3', await hashSecretWithScrypt(secret))
    const checks = new SecretChecks()
    const order: string[] = []
    await Promise.all(['a', 'b', 'c'].map((label, i) => checks.slow(bin, i === 2 ? secret : 'wrong').then((ok) => order.push(`${label}:${ok}`))))
    expect(order).toEqual(['a:false', 'b:false', 'c:true'])
  })

  test('a slow check no longer wanted when its turn comes should not run', async () => {
    const secret = generateSecret()
    const bin = device('bin-4', await hashSecretWithScrypt(secret))
    const checks = new SecretChecks()
    let failures = 0
    const results = await Promise.all([0, 1, 2].map(() => checks.slow(bin, 'wrong', () => failures < 1).then((ok) => (ok === false && failures++, ok))))
    expect(results).toEqual([false, undefined, undefined])
    expect(await checks.slow(bin, secret)).toBe(true)
  })
})
