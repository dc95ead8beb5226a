import { createHmac } from 'node:crypto'
import type { AlertEvent } from './alert-event.js'
import type { WebhookSubscriber } from './rule-settings.js'

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

/** How one attempt ended: delivered, worth retrying, or refused for good (a 4xx other than 408/429). */
export type AttemptOutcome = { readonly result: 'delivered' | 'retry' | 'refused'; readonly status?: number; readonly error?: string }

export async function postWebhook(subscriber: WebhookSubscriber, event: AlertEvent, timeoutMs: number): Promise<AttemptOutcome> {
  const body = Buffer.from(JSON.stringify(event))
  try {
    const response = await fetch(subscriber.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [signatureHeader]: signature(subscriber.secret, body), [idempotencyHeader]: idempotencyKeyOf(event) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    })
    await response.arrayBuffer().catch(() => undefined)
    if (response.ok) return { result: 'delivered', status: response.status }
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429
    return { result: retryable ? 'retry' : 'refused', status: response.status }
  } catch (error) {
    return { result: 'retry', error: (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error).message }
  }
}

/** Exponential backoff with ±50 % jitter, capped, so retrying notifiers do not hit a receiver in step. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)) * (0.5 + random())
}
