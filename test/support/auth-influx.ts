import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from './pipeline.js'

/**
 * A second InfluxDB 1.x of the test's own, with authentication on and no user yet, so that it
 * refuses every write (401) until the test creates the user: a store whose credentials are wrong,
 * then fixed by an operator. The same influxd that deploy/local/services.sh installs.
 */
export interface AuthInflux {
  readonly url: string
  /** Creates an admin user: from then on the store takes its credentials. */
  createUser(username: string, password: string): Promise<void>
  stop(): Promise<void>
}

export async function startAuthInflux(): Promise<AuthInflux> {
  const dir = mkdtempSync(join(tmpdir(), 'influx-auth-'))
  const [httpPort, rpcPort] = [await freePort(), await freePort()]
  const config = join(dir, 'influxdb.conf')
  writeFileSync(
    config,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${httpPort}"`,
      '  auth-enabled = true',
      '  log-enabled = false',
    ].join('\n'),
  )
  const child: ChildProcess = spawn('influxd', ['run', '-config', config], { stdio: 'ignore' })
  const url = `http://127.0.0.1:${httpPort}`
  await waitFor(async () => (await fetch(`${url}/ping`).catch(() => undefined))?.status === 204, 30_000, 'the authenticating InfluxDB answering /ping')
  return {
    url,
    createUser: async (username, password) => {
      // Allowed without credentials while no user exists: how InfluxDB 1.x is set up.
      const q = `CREATE USER "${username}" WITH PASSWORD '${password}' WITH ALL PRIVILEGES`
      const response = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q }) })
      if (response.status !== 200) throw new Error(`CREATE USER answered ${response.status}: ${await response.text()}`)
    },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
