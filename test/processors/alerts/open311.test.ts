import { describe, expect, test } from 'vitest'
import type { AlertEvent } from '../../../core/alerts/alert-event.js'
import { DeliveryTargets } from '../../../core/alerts/delivery-target.js'
import { alertMarker, listServiceRequests, postServiceRequest, serviceRequestForm, serviceRequestIdOfToken } from '../../../processors/alerts/open311.js'
import type { Open311Channel } from '../../../core/alerts/rule-settings.js'

const channel: Open311Channel = { id: 'city-311', endpoint: 'https://311.example/v2', apiKey: 'key-1', jurisdictionId: 'city.example', serviceCodes: { fill: '001' }, attributes: { '001': { WASTE: 'full-container' } } }
const event: AlertEvent = {
  schema: 'circular.alert/v1',
  alertId: 'mh1x2y3z-0123456789abcdef',
  phase: 'firing',
  rule: 'fill',
  tenant: 'city',
  site: 'north',
  deviceId: 'bin-1',
  kind: 'waste_container',
  firedAt: 1,
  at: 1,
  reason: 'fill 0.9 at or above 0.8',
  location: { type: 'Point', coordinates: [4.42173, 51.21301] },
}

describe('Open311 service request form', () => {
  test('should carry the GeoReport v2 fields, with lat and long swapped from GeoJSON order', () => {
    const form = serviceRequestForm(channel, '001', event) as URLSearchParams
    expect(Object.fromEntries(form)).toEqual({
      api_key: 'key-1',
      jurisdiction_id: 'city.example',
      service_code: '001',
      lat: '51.21301',
      long: '4.42173',
      description: `fill alert at north, device bin-1: fill 0.9 at or above 0.8 ${alertMarker(event.alertId)}`,
      device_id: 'bin-1',
      'attribute[WASTE]': 'full-container',
    })
    expect(form.toString()).toContain('attribute%5BWASTE%5D=full-container')
  })

  test('a long reason should be cut so the description stays within 4 000 characters and keeps its marker', () => {
    const form = serviceRequestForm(channel, '001', { ...event, reason: 'x'.repeat(5000) }) as URLSearchParams
    const description = form.get('description')!
    expect(description.length).toBeLessThanOrEqual(4000)
    expect(description.endsWith(alertMarker(event.alertId))).toBe(true)
  })

  test('a device without a location should not make a request', () => {
    const { location: _location, ...withoutLocation } = event
    expect(serviceRequestForm(channel, '001', withoutLocation)).toMatch(/no registered location/)
  })
})

describe('Open311 requests go through the delivery target policy', () => {
  const internal: Open311Channel = { ...channel, endpoint: 'http://169.254.169.254/open311/v2' }
  const targets = new DeliveryTargets()

  test('filing at an internal endpoint is refused for good, without a retry, saying why', async () => {
    const outcome = await postServiceRequest(internal, serviceRequestForm(internal, '001', event) as URLSearchParams, 1000, targets)
    expect(outcome).toEqual({ result: 'refused', targetRefused: true, error: expect.stringMatching(/^target refused: address 169\.254\.169\.254 is a link-local address/) as unknown })
  })

  test('looking up and following requests at an internal endpoint is refused too', async () => {
    await expect(listServiceRequests(internal, { service_code: '001' }, 1000, targets)).rejects.toMatchObject({ code: 'DELIVERY_TARGET_REFUSED' })
    await expect(serviceRequestIdOfToken(internal, 'tok-1', 1000, targets)).rejects.toMatchObject({ code: 'DELIVERY_TARGET_REFUSED' })
  })
})
