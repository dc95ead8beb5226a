import { createHmac } from 'node:crypto'
import type { AlertEvent } from '../../core/alerts/alert-event.js'
import { DeliveryTargets, isTargetRefusal } from '../../core/alerts/delivery-target.js'
import type { WebhookSubscriber } from '../../core/alerts/rule-settings.js'
import type { Config } from '../../core/config.js'
import type { RetryPolicy } from '../../core/retry.js'

export const signatureHeader = 'x-circular-signature'
export const idempotencyHeader = 'idempotency-key'

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes under the subscriber's secret. */
export function signature(secret: string, body: Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/** The same key for every attempt at one transition, so a receiver can drop repeats. */
export function idempotencyKeyOf(event: Pick<AlertEvent, 'alertId' | 'phase'>): string {
  return `${event.alertId}:${event.phase}`
}

/**
 * How one attempt ended: delivered, worth retrying, or refused for good (a 4xx other than 408/429,
 * a 3xx, which is never followed, or a target the policy refuses: `targetRefused`).
 */
export type AttemptOutcome = { readonly result: 'delivered' | 'retry' | 'refused'; readonly status?: number; readonly error?: string; readonly targetRefused?: boolean }

/** The outcome of an attempt that threw: the target refused for good, or a failure worth retrying. */
export function failedAttempt(error: unknown, timeoutMs: number): AttemptOutcome {
  if (isTargetRefusal(error)) return { result: 'refused', error: error.message, targetRefused: true }
  return { result: 'retry', error: (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error).message }
}

/** The outcome of an answer: 2xx delivered; 5xx, 408 and 429 worth retrying; anything else final. */
export function answeredAttempt(status: number): AttemptOutcome['result'] {
  if (status >= 200 && status < 300) return 'delivered'
  return status >= 500 || status === 408 || status === 429 ? 'retry' : 'refused'
}

/** POSTs one event to a webhook, through the target policy (see delivery-target.ts). */
export async function postWebhook(subscriber: WebhookSubscriber, event: AlertEvent, timeoutMs: number, targets: DeliveryTargets = new DeliveryTargets()): Promise<AttemptOutcome> {
  const body = Buffer.from(JSON.stringify(event))
  try {
    const response = await targets.request(subscriber.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [signatureHeader]: signature(subscriber.secret, body), [idempotencyHeader]: idempotencyKeyOf(event) },
      body,
      timeoutMs,
    })
    return { result: answeredAttempt(response.status), status: response.status }
  } catch (error) {
    return failedAttempt(error, timeoutMs)
  }
}

/**
 * How deliveries (webhook and Open311) are retried: exponential backoff with ±50 % jitter, capped,
 * so retrying notifiers do not hit a receiver in step, within the configured attempt budget. What is
 * retried is the outcome of an attempt (`answeredAttempt`, `failedAttempt`), not a thrown error.
 */
export function deliveryRetryPolicy(delivery: Pick<Config['alerts']['delivery'], 'backoffMs' | 'backoffMaxMs' | 'maxAttempts'>): RetryPolicy<AttemptOutcome> {
  return { baseMs: delivery.backoffMs, factor: 2, maxExponent: 30, capMs: delivery.backoffMaxMs, jitter: 0.5, maxAttempts: delivery.maxAttempts, retryable: (outcome) => outcome.result === 'retry' }
}
