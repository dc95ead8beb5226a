import { createServer, type Server } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { listenOn, listenPreferring } from '../../broker/listen.js'

const host = '127.0.0.1'

describe('listening on a port', () => {
  const servers: Server[] = []
  const server = (): Server => {
    const s = createServer()
    servers.push(s)
    return s
  }
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => (s.listening ? s.close(resolve) : resolve(undefined)))))
  })

  /** Ports `base` to `base + count - 1`, all free right now, with `base` chosen at random among the high ones. */
  async function freeRange(count: number): Promise<number> {
    for (let tries = 0; tries < 50; tries++) {
      const base = 20_000 + Math.floor(Math.random() * 30_000)
      const probes: Server[] = []
      try {
        for (let port = base; port < base + count; port++) {
          const probe = createServer()
          await listenOn(probe, host, port)
          probes.push(probe)
        }
        return base
      } catch {
        // One of them is taken; try another range.
      } finally {
        await Promise.all(probes.map((p) => new Promise((resolve) => p.close(resolve))))
      }
    }
    throw new Error('no free range of ports found')
  }

  test('port 0 should resolve with the port actually bound', async () => {
    const s = server()
    const port = await listenOn(s, host, 0)
    expect(port).toBeGreaterThan(0)
    expect(port).toBe((s.address() as { port: number }).port)
  })

  test('a port that is taken should reject with the socket error and leave no listener behind', async () => {
    const taken = await listenOn(server(), host, 0)
    const second = server()
    await expect(listenOn(second, host, taken)).rejects.toMatchObject({ code: 'EADDRINUSE' })
    expect([second.listenerCount('error'), second.listenerCount('listening')]).toEqual([0, 0])
  })

  test('a configured port should be taken as it is, and a taken configured port should fail rather than move', async () => {
    const base = await freeRange(2)
    expect(await listenPreferring(server(), host, base, base + 1)).toEqual({ port: base, moved: false })
    await expect(listenPreferring(server(), host, base, base + 1)).rejects.toMatchObject({ code: 'EADDRINUSE' })
  })

  test('the standard port should be preferred, and the next free one taken when it is held by another server', async () => {
    const base = await freeRange(3)
    expect(await listenPreferring(server(), host, undefined, base)).toEqual({ port: base, moved: false })
    await listenOn(server(), host, base + 1)
    expect(await listenPreferring(server(), host, undefined, base)).toEqual({ port: base + 2, moved: true })
  })

  test('when the standard port and the nine after it are taken, any free port should do', async () => {
    const base = await freeRange(10)
    for (let port = base; port < base + 10; port++) await listenOn(server(), host, port)
    const { port, moved } = await listenPreferring(server(), host, undefined, base)
    expect(moved).toBe(true)
    expect(port < base || port >= base + 10).toBe(true)
  })

  test('an error other than a taken port should fail at once instead of trying the next port', async () => {
    // A documentation address (TEST-NET-3) is on no interface of this machine.
    await expect(listenPreferring(server(), '203.0.113.7', undefined, 1883)).rejects.toMatchObject({ code: 'EADDRNOTAVAIL' })
  })
})
