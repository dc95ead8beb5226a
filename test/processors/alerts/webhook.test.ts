import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest'
import type { AlertEvent } from '../../../core/alerts/alert-event.js'
import { DeliveryTargets } from '../../../core/alerts/delivery-target.js'
import { PlatformError } from '../../../models/errors.js'
import { retryDelay } from '../../../core/retry.js'
import { answeredAttempt, deliveryRetryPolicy, failedAttempt, idempotencyHeader, idempotencyKeyOf, postWebhook, signature, signatureHeader } from '../../../processors/alerts/webhook.js'
import { startHttpReceiver, type HttpReceiver } from '../../support/http-receiver.js'

describe('webhook signing and backoff', () => {
  test('the signature should be the HMAC-SHA256 of the exact body under the secret', () => {
    const body = Buffer.from('{"a":1}')
    expect(signature('s3cret', body)).toBe(`sha256=${createHmac('sha256', 's3cret').update(body).digest('hex')}`)
    expect(signature('other', body)).not.toBe(signature('s3cret', body))
  })

  test('backoff should double per attempt within ±50 % jitter and stop at the cap', () => {
    const policy = deliveryRetryPolicy({ backoffMs: 100, backoffMaxMs: 10_000, maxAttempts: Infinity })
    const backoffDelay = (attempt: number, random: () => number): number => retryDelay(policy, attempt, random)
    expect(backoffDelay(0, () => 0.5)).toBe(100)
    expect(backoffDelay(3, () => 0.5)).toBe(800)
    expect(backoffDelay(3, () => 0)).toBe(400)
    expect(backoffDelay(3, () => 0.999)).toBeCloseTo(1199, 0)
    expect(backoffDelay(20, () => 0.5)).toBe(10_000)
  })
})

describe('attempt outcomes', () => {
  test('2xx should be delivered; 5xx, 408 and 429 worth retrying; any other answer, redirects included, final', () => {
    const outcomes = [200, 201, 204, 299, 301, 302, 307, 400, 401, 404, 408, 410, 429, 500, 502, 503].map((status) => [status, answeredAttempt(status)])
    expect(outcomes).toEqual([
      [200, 'delivered'],
      [201, 'delivered'],
      [204, 'delivered'],
      [299, 'delivered'],
      [301, 'refused'],
      [302, 'refused'],
      [307, 'refused'],
      [400, 'refused'],
      [401, 'refused'],
      [404, 'refused'],
      [408, 'retry'],
      [410, 'refused'],
      [429, 'retry'],
      [500, 'retry'],
      [502, 'retry'],
      [503, 'retry'],
    ])
  })

  test('a refused target should be final, a timeout or a network failure worth retrying', () => {
    const refusal = new PlatformError('DELIVERY_TARGET_REFUSED', 'target refused: address 10.0.0.1 is a private address', {})
    expect(failedAttempt(refusal, 5000)).toEqual({ result: 'refused', error: 'target refused: address 10.0.0.1 is a private address', targetRefused: true })
    const timeout = Object.assign(new Error('aborted'), { name: 'TimeoutError' })
    expect(failedAttempt(timeout, 5000)).toEqual({ result: 'retry', error: 'no answer within 5000 ms' })
    expect(failedAttempt(new Error('connect ECONNREFUSED 127.0.0.1:9'), 5000)).toEqual({ result: 'retry', error: 'connect ECONNREFUSED 127.0.0.1:9' })
  })

  test('every attempt at one transition should carry the same idempotency key, and another transition another one', () => {
    expect(idempotencyKeyOf({ alertId: 'a-1', phase: 'firing' })).toBe('a-1:firing')
    expect(idempotencyKeyOf({ alertId: 'a-1', phase: 'resolved' })).not.toBe(idempotencyKeyOf({ alertId: 'a-1', phase: 'firing' }))
  })
})

describe('webhook POST to a receiver on loopback', () => {
  let receiver: HttpReceiver
  const loopback = new DeliveryTargets(['127.0.0.1'])
  const event: AlertEvent = { schema: 'circular.alert/v1', alertId: 'mh1x2y3z-0123456789abcdef', phase: 'firing', rule: 'fill', tenant: 'city', site: 'north', deviceId: 'bin-1', kind: 'waste_container', firedAt: 1, at: 2, value: 0.9 }
  const subscriber = (path = '/hook') => ({ id: 'ops', url: `${receiver.url}${path}`, secret: 'ops-secret-0123456789' })

  beforeAll(async () => {
    receiver = await startHttpReceiver()
  })
  beforeEach(() => {
    receiver.received.length = 0
    receiver.answer({ status: 204 })
  })
  afterAll(async () => {
    await receiver.close()
  })

  test('the receiver should get the event as JSON, signed over the exact body, with the idempotency key', async () => {
    expect(await postWebhook(subscriber(), event, 2000, loopback)).toEqual({ result: 'delivered', status: 204 })
    expect(receiver.received).toHaveLength(1)
    const [request] = receiver.received
    expect(request).toMatchObject({ method: 'POST', url: '/hook' })
    expect(JSON.parse(request!.body.toString('utf8'))).toEqual(event)
    expect(request!.headers['content-type']).toBe('application/json')
    expect(request!.headers[signatureHeader]).toBe(`sha256=${createHmac('sha256', 'ops-secret-0123456789').update(request!.body).digest('hex')}`)
    expect(request!.headers[idempotencyHeader]).toBe(`${event.alertId}:firing`)
  })

  test('a 503 should be worth retrying, a redirect final and not followed', async () => {
    receiver.answer({ status: 503 })
    expect(await postWebhook(subscriber(), event, 2000, loopback)).toEqual({ result: 'retry', status: 503 })
    receiver.answer({ status: 302, headers: { location: `${receiver.url}/elsewhere` } })
    expect(await postWebhook(subscriber(), event, 2000, loopback)).toEqual({ result: 'refused', status: 302 })
    expect(receiver.received.map((r) => r.url)).toEqual(['/hook', '/hook'])
  })

  test('a receiver that does not answer should time out as an attempt worth retrying', async () => {
    receiver.answer('hang')
    const started = Date.now()
    expect(await postWebhook(subscriber(), event, 300, loopback)).toEqual({ result: 'retry', error: 'no answer within 300 ms' })
    expect(Date.now() - started).toBeLessThan(2000)
  })

  test('without loopback allowed, the target should be refused for good and the receiver hear nothing', async () => {
    const outcome = await postWebhook(subscriber(), event, 2000)
    expect(outcome).toMatchObject({ result: 'refused', targetRefused: true })
    expect(outcome.error).toMatch(/^target refused: address 127\.0\.0\.1 is a loopback address/)
    expect(receiver.received).toEqual([])
  })
})
