import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { accessOf, routeAccess } from '../../../api/auth/route-access.js'
import { embeddedApi, type EmbeddedApi } from '../embedded-api.js'

describe('accessOf', () => {
  it('should give each listed route its entry', () => {
    expect(accessOf('GET', '/health')).toBe('public')
    expect(accessOf('GET', '/metrics')).toBe('platform')
    expect(accessOf('GET', '/v1/devices')).toBe('analyst')
    expect(accessOf('POST', '/v1/alerts/:id/ack')).toBe('operator')
    expect(accessOf('DELETE', '/v1/admin/keys/:id')).toBe('admin')
  })

  it('should give a HEAD route its GET route\'s entry, and only that', () => {
    for (const [route, access] of Object.entries(routeAccess)) {
      const [method, url] = route.split(' ') as [string, string]
      expect(accessOf('HEAD', url), route).toBe(method === 'GET' ? access : routeAccess[`GET ${url}`])
    }
    expect(accessOf('HEAD', '/v1/devices/:id')).toBeUndefined()
  })

  it('should know no route that is not listed, by method and by URL pattern', () => {
    expect(accessOf('PUT', '/v1/devices')).toBeUndefined()
    expect(accessOf('GET', '/v1/devices/bin-1/latest')).toBeUndefined()
    expect(accessOf('GET', '/v1/forgotten')).toBeUndefined()
    expect(accessOf('get', '/health')).toBeUndefined()
  })
})

describe('the access table and the API', () => {
  let api: EmbeddedApi
  beforeAll(async () => {
    // With a bus for commands, so that the acknowledgement route is registered too.
    api = await embeddedApi({ commands: true })
  })
  afterAll(() => api.close())

  it('should list only routes the API registers, so no entry outlives its route', () => {
    for (const route of Object.keys(routeAccess)) {
      const [method, url] = route.split(' ') as [string, string]
      expect(api.app.hasRoute({ method, url }), route).toBe(true)
    }
    expect(api.app.hasRoute({ method: 'GET', url: '/v1/forgotten' })).toBe(false)
  })
})
