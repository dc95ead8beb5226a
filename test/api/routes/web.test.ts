import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { loadWebFiles, webContentSecurityPolicy, webRoot } from '../../../api/routes/web.js'
import { apiFixture, type ApiFixture } from '../api-fixture.js'

describe('web view routes', () => {
  let api: ApiFixture
  beforeAll(async () => {
    api = await apiFixture()
  })
  afterAll(async () => api?.close())

  const get = (url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers })

  test('GET / should serve the page without credentials, with a self-only CSP and revalidated caching', async () => {
    const response = await get('/')
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(response.headers['content-security-policy']).toBe(webContentSecurityPolicy)
    expect(webContentSecurityPolicy).toMatch(/default-src 'self'/)
    expect(webContentSecurityPolicy).not.toMatch(/unsafe|https:|\*/)
    expect(response.headers['cache-control']).toBe('no-cache')
    expect(response.headers.etag).toMatch(/^"[\w-]+"$/)
    expect(response.body).toBe(readFileSync(join(webRoot, 'index.html'), 'utf8'))
  })

  test.each([
    ['/web/main.js', 'text/javascript; charset=utf-8'],
    ['/web/panels/containers.js', 'text/javascript; charset=utf-8'],
    ['/web/style.css', 'text/css; charset=utf-8'],
    ['/web/favicon.svg', 'image/svg+xml'],
  ])('GET %s should answer the file as %s', async (url, contentType) => {
    const response = await get(url)
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe(contentType)
    expect(response.headers['content-security-policy']).toBe(webContentSecurityPolicy)
    expect(response.rawPayload.equals(readFileSync(join(webRoot, url.slice('/web/'.length))))).toBe(true)
  })

  test('a request naming the current ETag should get 304 without a body', async () => {
    const { headers } = await get('/web/main.js')
    const response = await get('/web/main.js', { 'if-none-match': String(headers.etag) })
    expect(response.statusCode).toBe(304)
    expect(response.body).toBe('')
  })

  test.each(['/web/missing.js', '/web/', '/web/panels', '/web/../package.json', '/web/%2e%2e/package.json', '/web/..%2f..%2fpackage.json', '/web/panels/../../routes/web.ts', '/web//etc/passwd', '/index.html', '/web/main.js/'])(
    'GET %s should be 404 and reveal no file',
    async (url) => {
      const response = await get(url)
      expect(response.statusCode).toBe(404)
      expect(response.json()).toMatchObject({ error: { code: 'ROUTE_UNKNOWN' } })
      expect(response.headers['cache-control']).toBe('no-store')
    },
  )

  test('the API routes should still need credentials beside the public page', async () => {
    expect((await get('/v1/devices')).statusCode).toBe(401)
    expect((await get('/v1/devices', api.admin)).statusCode).toBe(200)
  })

  test('every file the page and its modules refer to should be served', () => {
    const files = loadWebFiles()
    const html = files.get('index.html')!.body.toString('utf8')
    const referenced = [...html.matchAll(/(?:src|href)="\/web\/([^"]+)"/g)].map((m) => m[1]!)
    expect(referenced.length).toBeGreaterThan(2)
    for (const [path, file] of files) {
      if (!path.endsWith('.js')) continue
      const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : ''
      for (const [, specifier] of file.body.toString('utf8').matchAll(/^import .* from '(\.[^']+)'$/gm)) referenced.push(new URL(specifier!, `http://x/${folder}`).pathname.slice(1))
    }
    expect(referenced.filter((path) => !files.has(path))).toEqual([])
  })
})

describe('loadWebFiles', () => {
  let root: string
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'circular-web-'))
    mkdirSync(join(root, 'nested'))
    writeFileSync(join(root, 'index.html'), '<!doctype html>')
    writeFileSync(join(root, 'nested', 'part.js'), 'export {}')
    writeFileSync(join(root, 'notes.md'), 'not for the browser')
    writeFileSync(join(root, 'server.ts'), 'export {}')
    symlinkSync('/etc/hostname', join(root, 'outside.js'))
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  test('should offer only regular files of the known types, by their path below the folder', () => {
    expect([...loadWebFiles(root).keys()].sort()).toEqual(['index.html', 'nested/part.js'])
  })
})
