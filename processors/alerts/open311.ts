import type { AlertEvent } from '../../core/alerts/alert-event.js'
import type { Open311Channel } from '../../core/alerts/rule-settings.js'
import { DeliveryTargets } from '../../core/alerts/delivery-target.js'
import { answeredAttempt, failedAttempt, type AttemptOutcome } from './webhook.js'

/** GeoReport v2 caps `description` at 4 000 characters. */
const maxDescription = 4000

/** The marker that lets a request be found again by its alert (GeoReport v2 has no idempotency key). */
export function alertMarker(alertId: string): string {
  return `[circular alert ${alertId}]`
}

/**
 * The form of `POST requests.json` (GeoReport v2 §5.3): api_key, service_code, lat/long from the
 * device's GeoJSON location — which is [lon, lat] — the description with the alert's marker, the
 * device id and the attributes the service requires.
 */
export function serviceRequestForm(channel: Open311Channel, serviceCode: string, event: AlertEvent): URLSearchParams | string {
  if (!event.location) return `device ${event.deviceId} has no registered location; GeoReport v2 needs one`
  const [lon, lat] = event.location.coordinates
  const form = new URLSearchParams()
  form.set('api_key', channel.apiKey)
  if (channel.jurisdictionId !== undefined) form.set('jurisdiction_id', channel.jurisdictionId)
  form.set('service_code', serviceCode)
  form.set('lat', String(lat))
  form.set('long', String(lon))
  const marker = alertMarker(event.alertId)
  const text = `${event.rule} alert at ${event.site}, device ${event.deviceId}: ${event.reason ?? 'condition met'}`
  form.set('description', `${text.slice(0, maxDescription - marker.length - 1)} ${marker}`)
  form.set('device_id', event.deviceId)
  for (const [code, value] of Object.entries(channel.attributes?.[serviceCode] ?? {})) form.set(`attribute[${code}]`, value)
  return form
}

export interface FiledRequest {
  readonly serviceRequestId?: string
  readonly token?: string
}

/** POSTs a service request; `filed` says what the server returned (ids and tokens as strings, §5 pitfall). */
export async function postServiceRequest(channel: Open311Channel, form: URLSearchParams, timeoutMs: number, targets: DeliveryTargets = new DeliveryTargets()): Promise<AttemptOutcome & { filed?: FiledRequest }> {
  try {
    const response = await targets.request(`${base(channel)}/requests.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: form.toString(),
      timeoutMs,
    })
    const result = answeredAttempt(response.status)
    if (result !== 'delivered') return { result, status: response.status, error: response.body.slice(0, 500) }
    const first = (JSON.parse(response.body) as { service_request_id?: unknown; token?: unknown }[])[0]
    const serviceRequestId = asText(first?.service_request_id)
    const token = asText(first?.token)
    const filed: FiledRequest = { ...(serviceRequestId !== undefined ? { serviceRequestId } : {}), ...(token !== undefined ? { token } : {}) }
    return { result: 'delivered', status: response.status, filed }
  } catch (error) {
    return failedAttempt(error, timeoutMs)
  }
}

export interface TrackedRequest {
  readonly serviceRequestId: string
  readonly status: string
  readonly description?: string
}

/** `GET requests.json` with the given query (§5.4): the requests as the server lists them. A refused target throws `DELIVERY_TARGET_REFUSED`. */
export async function listServiceRequests(channel: Open311Channel, query: Record<string, string>, timeoutMs: number, targets: DeliveryTargets = new DeliveryTargets()): Promise<TrackedRequest[]> {
  const params = new URLSearchParams(query)
  if (channel.jurisdictionId !== undefined) params.set('jurisdiction_id', channel.jurisdictionId)
  const response = await targets.request(`${base(channel)}/requests.json?${params.toString()}`, { method: 'GET', timeoutMs })
  if (answeredAttempt(response.status) !== 'delivered') throw new Error(`GET requests.json answered ${response.status}`)
  const list = JSON.parse(response.body) as { service_request_id?: unknown; status?: unknown; description?: unknown }[]
  return list.flatMap((r) => {
    const serviceRequestId = asText(r.service_request_id)
    return serviceRequestId === undefined ? [] : [{ serviceRequestId, status: asText(r.status) ?? '', ...(typeof r.description === 'string' ? { description: r.description } : {}) }]
  })
}

/** `GET tokens/{token}.json`: the service request id once a batch server has assigned one. */
export async function serviceRequestIdOfToken(channel: Open311Channel, token: string, timeoutMs: number, targets: DeliveryTargets = new DeliveryTargets()): Promise<string | undefined> {
  const response = await targets.request(`${base(channel)}/tokens/${encodeURIComponent(token)}.json`, { method: 'GET', timeoutMs })
  if (answeredAttempt(response.status) !== 'delivered') return undefined
  const first = (JSON.parse(response.body) as { service_request_id?: unknown }[])[0]
  return asText(first?.service_request_id)
}

function base(channel: Open311Channel): string {
  return channel.endpoint.replace(/\/+$/, '')
}

/** Ids and codes as text: servers send them as numbers or strings (§5 pitfall). */
function asText(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined
}
