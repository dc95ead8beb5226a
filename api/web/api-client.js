// Requests to the API this page is served by, with the key as a bearer header when there is one.

/** A failed request, as the page shows it: what was asked, what came back. */
export class ApiError extends Error {
  constructor(path, status, code, message) {
    super(`${path}: ${status ? `HTTP ${status} ` : ''}${code ? `${code}: ` : ''}${message}`)
    this.path = path
    this.status = status
    this.code = code
  }

  /** The API wants a (different) key. */
  get needsKey() {
    return this.status === 401 || this.status === 403
  }
}

export function apiClient(key) {
  const headers = key ? { authorization: `Bearer ${key}` } : {}

  async function request(path, accept) {
    let response
    try {
      response = await fetch(path, { headers: { ...headers, accept }, cache: 'no-store' })
    } catch (error) {
      throw new ApiError(path, 0, 'UNREACHABLE', `the API did not answer (${error.message})`)
    }
    if (response.ok) return response
    // The API's errors are { error: { code, message } }; anything else is shown as it came.
    const text = await response.text()
    let body
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    throw new ApiError(path, response.status, body?.error?.code, body?.error?.message ?? (text.slice(0, 200) || response.statusText))
  }

  return {
    json: async (path) => (await request(path, 'application/json')).json(),
    text: async (path) => (await request(path, 'text/plain')).text(),
  }
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value))
  return search.toString()
}
