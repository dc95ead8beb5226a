import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'

/**
 * The live web view: static files from `api/web/` at `/` and `/web/*`. The page has no secrets
 * and reads everything from the API itself, so these routes need no key; the browser sends the
 * key with its API requests.
 */

export const webRoot = fileURLToPath(new URL('../web/', import.meta.url))

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
}

/** Only the page's own files, scripts and API calls: nothing inline, nothing from elsewhere. */
export const webContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

export interface WebFile {
  readonly body: Buffer
  readonly contentType: string
  readonly etag: string
}

/**
 * Every servable file below `root`, keyed by its path below `/web/`. Read once at start-up, so
 * a request can only ever name one of these files: no path from a URL reaches the file system.
 */
export function loadWebFiles(root: string = webRoot): ReadonlyMap<string, WebFile> {
  const files = new Map<string, WebFile>()
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const contentType = contentTypes[extname(entry.name)]
    if (!entry.isFile() || contentType === undefined) continue
    const path = join(entry.parentPath, entry.name)
    const body = readFileSync(path)
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`
    files.set(relative(root, path).split(sep).join('/'), { body, contentType, etag })
  }
  return files
}

/** `GET /` and `GET /web/*` (HEAD too), in a scope of their own so that the caching hook below applies to them only. */
export const webRoutes: FastifyPluginAsync = async (app) => {
  const files = loadWebFiles()
  // Runs after the API-wide hook that forbids caching (a parent's hooks run first): the files
  // may be kept, but must be revalidated, so a changed file shows up at the next load.
  app.addHook('onSend', async (_request, reply) => {
    if (reply.statusCode === 200 || reply.statusCode === 304) reply.header('cache-control', 'no-cache')
  })
  app.get('/', { schema: { hide: true } }, async (request, reply) => sendFile(files.get('index.html'), request, reply))
  app.get<{ Params: { '*': string } }>('/web/*', { schema: { hide: true } }, async (request, reply) => sendFile(files.get(request.params['*']), request, reply))
}

function sendFile(file: WebFile | undefined, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (file === undefined) {
    reply.callNotFound()
    return reply
  }
  reply.header('content-type', file.contentType).header('etag', file.etag).header('content-security-policy', webContentSecurityPolicy).header('referrer-policy', 'no-referrer')
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send()
  return reply.send(file.body)
}
