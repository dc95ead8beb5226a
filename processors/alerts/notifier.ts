import type { BatchContext, Bus, Consumption, IncomingRecord } from '../../core/bus/bus.js'
import { pipelineTopics } from '../../core/bus/topics.js'
import type { Config } from '../../core/config.js'
import { Counters } from '../../core/counters.js'
import { PlatformError } from '../../models/errors.js'
import type { Logger } from '../../core/logger.js'
import { deadLetterRecord } from '../dead-letter.js'
import { ChangelogStore } from '../../core/state/changelog-store.js'
import { encodePointsRecord } from '../points-record.js'
import { alertEvent, type AlertEvent } from '../../core/alerts/alert-event.js'
import { alertCommandRecord } from '../../core/alerts/alert-command.js'
import { deliveryPoint, type DeliveryAbout } from '../../core/alerts/delivery-history.js'
import { DeliveryTargets } from '../../core/alerts/delivery-target.js'
import { alertMarker, listServiceRequests, postServiceRequest, serviceRequestForm, serviceRequestIdOfToken } from './open311.js'
import type { Open311Channel, RuleName, WebhookSubscriber } from '../../core/alerts/rule-settings.js'
import type { RulesSource } from './rules-source.js'
import { deliveryRetryPolicy, idempotencyKeyOf, postWebhook, type AttemptOutcome } from './webhook.js'
import { retryDelay, waitInSlices, type RetryPolicy } from '../../core/retry.js'
import { parseJsonOrUndefined } from '../../core/json.js'

export const notifierCounterNames = ['received', 'delivered', 'alreadyDelivered', 'attemptsFailed', 'deadLettered', 'foundFiled', 'closedByService', 'tooOld'] as const

const stage = 'alert-notifier'

/** The outbox entry of one transition for one subscriber: every attempt, and how it ended. */
export interface Delivery {
  readonly channel?: 'webhook' | 'open311'
  readonly subscriber: string
  readonly alertId: string
  readonly phase: AlertEvent['phase']
  readonly idempotencyKey: string
  /** `sending`: a request may have reached the receiver, and its outcome is not known here. */
  status: 'pending' | 'sending' | 'delivered' | 'dead'
  attempts: { at: number; status?: number; error?: string }[]
  deliveredAt?: number
  /** The alert it delivers, for its point in the store (entries recorded before it was kept have none). */
  about?: DeliveryAbout
  /** Open311: what the request is about, the service request filed, and whether the service closed it. */
  open311?: { rule: RuleName; deviceId: string; serviceCode: string; serviceRequestId?: string; token?: string; closed?: boolean }
}

export interface NotifierDeps {
  readonly config: Config
  readonly bus: Bus
  readonly rules: RulesSource
  readonly logger: Logger
  /** Sends one attempt; the webhook POST unless a test stands in. */
  readonly send?: (subscriber: WebhookSubscriber, event: AlertEvent, timeoutMs: number) => Promise<AttemptOutcome>
  /** Where webhooks and Open311 endpoints may be reached: `ALERT_TARGETS_ALLOW` unless a test stands in (see delivery-target.ts). */
  readonly targets?: DeliveryTargets
}

/**
 * Delivers alert events to the tenants' webhooks and files a service request at the tenant's
 * Open311 endpoint for each firing alert of a mapped rule, following it until the service closes
 * it, which resolves the alert. The outbox is a compacted topic with one entry
 * per (subscriber, alert, phase): every attempt is recorded as it ends, so after a restart the
 * notifier knows what was delivered (and skips it) and how much of the retry budget is spent.
 * A notifier killed after sending but before recording sends again with the same idempotency key,
 * which the receiver uses to drop the repeat. GeoReport v2 has no idempotency key, so before
 * each POST the outbox records that a request is being sent; finding that record after a restart
 * (or after an attempt without an answer), the notifier first looks for the request by the alert
 * marker in its description and sends only if the server does not have it. Offsets are committed once every subscriber of
 * a batch's events has been delivered to or dead-lettered; while a receiver fails, the partition
 * waits, so the transitions of one alert arrive in order.
 */
export class AlertNotifier {
  readonly counters = new Counters(stage, notifierCounterNames)
  private readonly outbox: ChangelogStore<Delivery>
  private needsReload = true
  /** Checked at every request against the address actually connected to; a refused target is dead-lettered at once. */
  private readonly targets: DeliveryTargets

  constructor(private readonly deps: NotifierDeps) {
    this.outbox = new ChangelogStore<Delivery>(deps.bus, deps.config.alerts.topics.deliveries)
    this.targets = deps.targets ?? new DeliveryTargets(deps.config.alerts.delivery.targetsAllow)
  }

  async start(groupId = this.deps.config.alerts.groups.notifier): Promise<Consumption> {
    const { bus, config } = this.deps
    await bus.ensureTopics(pipelineTopics(config.bus, config.alerts))
    const consumption = await bus.consume({
      groupId,
      topics: [config.alerts.topics.events],
      handleBatch: (records, context) => this.handleBatch(records, context),
      onAssignment: () => (this.needsReload = true),
      startAt: config.alerts.startAt,
    })
    let polling = false
    const timer = setInterval(() => {
      if (polling) return
      polling = true
      this.followOpen311Requests()
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'following Open311 requests failed; trying again at the next poll'))
        .finally(() => (polling = false))
    }, config.alerts.delivery.open311PollMs)
    return {
      stop: async () => {
        clearInterval(timer)
        await consumption.stop()
      },
    }
  }

  async handleBatch(records: readonly IncomingRecord[], context: BatchContext): Promise<void> {
    try {
      await this.reloadIfNeeded()
      let tooOld = 0
      for (const record of records) {
        this.counters.add('received')
        // By when the transition reached the bus, not when it was observed: a replayed or late reading may raise a new alert about the past.
        if (Date.now() - record.timestamp > this.deps.config.alerts.delivery.maxAgeMs) {
          tooOld++
          continue
        }
        const parsed = alertEvent.safeParse(parseJsonOrUndefined(record.value))
        if (!parsed.success) {
          await this.deps.bus.publish([deadLetterRecord(this.deps.config.bus.topics.deadLetter, stage, record, [{ code: 'RECORD_INVALID', message: 'not a circular.alert/v1 event' }], this.deps.config.bus.maxRecordBytes)])
          continue
        }
        for (const subscriber of this.deps.rules.webhooksFor(parsed.data.tenant, parsed.data.rule, parsed.data.phase)) {
          await this.deliver(subscriber, parsed.data, record, context)
        }
        const open311 = parsed.data.phase === 'firing' ? this.deps.rules.open311For(parsed.data.tenant, parsed.data.rule) : undefined
        if (open311) await this.fileServiceRequest(open311.channel, open311.serviceCode, parsed.data, record, context)
      }
      if (tooOld > 0) {
        this.counters.add('tooOld', tooOld)
        this.deps.logger.warn({ transitions: tooOld, maxAgeMs: this.deps.config.alerts.delivery.maxAgeMs }, 'alert transitions older than ALERT_DELIVERY_MAX_AGE_MS are not sent')
      }
    } catch (error) {
      this.needsReload = true
      throw error
    }
  }

  private async deliver(subscriber: WebhookSubscriber, event: AlertEvent, source: IncomingRecord, context: BatchContext): Promise<void> {
    const key = `${subscriber.id}/${event.alertId}/${event.phase}`
    const known = this.outbox.get(key)
    if (known && known.status !== 'pending') {
      this.counters.add('alreadyDelivered')
      return
    }
    const delivery: Delivery = known
      ? structuredClone(known)
      : { channel: 'webhook', subscriber: subscriber.id, alertId: event.alertId, phase: event.phase, idempotencyKey: idempotencyKeyOf(event), status: 'pending', attempts: [] }
    delivery.about ??= aboutOf(event)
    const { timeoutMs } = this.deps.config.alerts.delivery
    const policy = this.retryPolicy()
    const send = this.deps.send ?? ((s: WebhookSubscriber, e: AlertEvent, t: number) => postWebhook(s, e, t, this.targets))
    let targetRefused = false
    while (delivery.attempts.length < policy.maxAttempts) {
      if (delivery.attempts.length > 0) await this.pause(retryDelay(policy, delivery.attempts.length - 1), context)
      const outcome = await send(subscriber, event, timeoutMs)
      delivery.attempts.push({ at: Date.now(), ...(outcome.status !== undefined ? { status: outcome.status } : {}), ...(outcome.error !== undefined ? { error: outcome.error } : {}) })
      if (outcome.result === 'delivered') {
        delivery.status = 'delivered'
        delivery.deliveredAt = delivery.attempts.at(-1)!.at
        await this.record(key, delivery)
        this.counters.add('delivered')
        return
      }
      this.counters.add('attemptsFailed')
      targetRefused = outcome.targetRefused === true
      if (!policy.retryable(outcome)) break
      await this.record(key, delivery)
    }
    await this.deadLetter(key, delivery, source, `webhook ${subscriber.id}`, targetRefused ? 'DELIVERY_TARGET_REFUSED' : 'DELIVERY_FAILED')
  }

  /** Files one service request, unless the server already has it (see the class comment). */
  private async fileServiceRequest(channel: Open311Channel, serviceCode: string, event: AlertEvent, source: IncomingRecord, context: BatchContext): Promise<void> {
    const key = `${channel.id}/${event.alertId}/${event.phase}`
    const known = this.outbox.get(key)
    if (known && (known.status === 'delivered' || known.status === 'dead')) {
      this.counters.add('alreadyDelivered')
      return
    }
    const delivery: Delivery = known
      ? structuredClone(known)
      : { channel: 'open311', subscriber: channel.id, alertId: event.alertId, phase: event.phase, idempotencyKey: idempotencyKeyOf(event), status: 'pending', attempts: [], open311: { rule: event.rule, deviceId: event.deviceId, serviceCode } }
    delivery.about ??= aboutOf(event)
    const form = serviceRequestForm(channel, serviceCode, event)
    if (typeof form === 'string') {
      delivery.attempts.push({ at: Date.now(), error: form })
      return this.deadLetter(key, delivery, source, `Open311 ${channel.id}`)
    }
    const { timeoutMs } = this.deps.config.alerts.delivery
    const policy = this.retryPolicy()
    let targetRefused = false
    const alreadyFiled = async (): Promise<boolean> => {
      if (delivery.status !== 'sending') return false
      const found = await this.findFiledRequest(channel, serviceCode, event.alertId, timeoutMs)
      if (found === undefined) return false
      this.counters.add('foundFiled')
      await this.filed(key, delivery, { serviceRequestId: found })
      return true
    }
    while (delivery.attempts.length < policy.maxAttempts) {
      if (delivery.attempts.length > 0) await this.pause(retryDelay(policy, delivery.attempts.length - 1), context)
      if (await alreadyFiled()) return
      delivery.status = 'sending'
      await this.record(key, delivery)
      const outcome = await postServiceRequest(channel, form, timeoutMs, this.targets)
      delivery.attempts.push({ at: Date.now(), ...(outcome.status !== undefined ? { status: outcome.status } : {}), ...(outcome.error !== undefined ? { error: outcome.error } : {}) })
      if (outcome.result === 'delivered') return this.filed(key, delivery, outcome.filed ?? {})
      this.counters.add('attemptsFailed')
      // An answer that refuses it means nothing was filed, as does a refused target; no answer may mean it was.
      if (outcome.status !== undefined || outcome.targetRefused) delivery.status = 'pending'
      targetRefused = outcome.targetRefused === true
      if (!policy.retryable(outcome)) break
      await this.record(key, delivery)
    }
    if (await alreadyFiled()) return
    await this.deadLetter(key, delivery, source, `Open311 ${channel.id}`, targetRefused ? 'DELIVERY_TARGET_REFUSED' : 'DELIVERY_FAILED')
  }

  private async filed(key: string, delivery: Delivery, filed: { serviceRequestId?: string; token?: string }): Promise<void> {
    delivery.status = 'delivered'
    // A request found filed was filed by the attempt before; otherwise by the one just made.
    delivery.deliveredAt = delivery.attempts.at(-1)?.at ?? Date.now()
    delivery.open311 = { ...delivery.open311!, ...filed }
    await this.record(key, delivery)
    this.counters.add('delivered')
  }

  /** The id of a request filed for this alert, found by its marker among the service's recent requests. */
  private async findFiledRequest(channel: Open311Channel, serviceCode: string, alertId: string, timeoutMs: number): Promise<string | undefined> {
    try {
      const requests = await listServiceRequests(channel, { service_code: serviceCode }, timeoutMs, this.targets)
      return requests.find((r) => r.description?.includes(alertMarker(alertId)))?.serviceRequestId
    } catch (error) {
      // Not knowing is not finding: a retry attempt follows, which counts against the budget.
      this.deps.logger.warn({ err: error, channel: channel.id, alertId }, 'could not look up Open311 requests')
      return undefined
    }
  }

  /**
   * Asks each Open311 endpoint about the requests filed and still open; a closed one resolves its
   * alert through a command to the alerts processor. Tokens of batch servers are exchanged for ids first.
   */
  async followOpen311Requests(): Promise<void> {
    await this.reloadIfNeeded()
    const channels = this.deps.rules.open311Channels()
    const { timeoutMs } = this.deps.config.alerts.delivery
    const open = this.outbox.entries().filter(([, d]) => d.channel === 'open311' && d.status === 'delivered' && d.open311 && !d.open311.closed)
    for (const [key, delivery] of open) {
      const channel = channels.get(delivery.subscriber)
      const tracked = delivery.open311!
      if (channel && tracked.serviceRequestId === undefined && tracked.token !== undefined) {
        const id = await serviceRequestIdOfToken(channel, tracked.token, timeoutMs, this.targets)
        if (id !== undefined) await this.record(key, { ...delivery, open311: { ...tracked, serviceRequestId: id } })
      }
    }
    const byChannel = new Map<string, [string, Delivery][]>()
    for (const [key, delivery] of this.outbox.entries()) {
      if (delivery.channel !== 'open311' || delivery.status !== 'delivered' || delivery.open311?.serviceRequestId === undefined || delivery.open311.closed) continue
      byChannel.set(delivery.subscriber, [...(byChannel.get(delivery.subscriber) ?? []), [key, delivery]])
    }
    for (const [channelId, deliveries] of byChannel) {
      const channel = channels.get(channelId)
      if (!channel) continue
      const ids = deliveries.map(([, d]) => d.open311!.serviceRequestId!)
      const closed = new Set((await listServiceRequests(channel, { service_request_id: ids.join(',') }, timeoutMs, this.targets)).filter((r) => r.status === 'closed').map((r) => r.serviceRequestId))
      for (const [key, delivery] of deliveries) {
        const tracked = delivery.open311!
        if (!closed.has(tracked.serviceRequestId!)) continue
        // The command first: if the notifier dies before recording, the repeated command changes nothing.
        await this.deps.bus.publish([
          alertCommandRecord(this.deps.config.alerts.topics.commands, { schema: 'circular.alert-command/v1', command: 'resolve', alertId: delivery.alertId, rule: tracked.rule, deviceId: tracked.deviceId, by: `Open311 service request ${tracked.serviceRequestId!} (${channelId})`, at: Date.now() }),
        ])
        await this.record(key, { ...delivery, open311: { ...tracked, closed: true } })
        this.counters.add('closedByService')
      }
    }
  }

  /** Out of budget, or refused for good (by the receiver, or its target by the policy): park it where an operator looks, and move on. */
  private async deadLetter(key: string, delivery: Delivery, source: IncomingRecord, receiver: string, code: 'DELIVERY_FAILED' | 'DELIVERY_TARGET_REFUSED' = 'DELIVERY_FAILED'): Promise<void> {
    const last = delivery.attempts.at(-1)
    const message = `${receiver} after ${delivery.attempts.length} attempts: ${last?.status !== undefined ? `HTTP ${last.status}` : (last?.error ?? 'no answer')}`
    await this.deps.bus.publish([deadLetterRecord(this.deps.config.bus.topics.deadLetter, stage, source, [{ code, message }], this.deps.config.bus.maxRecordBytes)])
    delivery.status = 'dead'
    await this.record(key, delivery)
    this.counters.add('deadLettered')
    this.deps.logger.warn({ receiver, alertId: delivery.alertId, phase: delivery.phase, code }, `alert delivery dead-lettered: ${message}`)
  }

  private async reloadIfNeeded(): Promise<void> {
    if (!this.needsReload) return
    await this.outbox.load()
    this.needsReload = false
  }

  /** The outbox first, as it alone decides what is sent again; then the entry's point for the API, through the sink. */
  private async record(key: string, delivery: Delivery): Promise<void> {
    this.outbox.stage(key, delivery)
    await this.outbox.flush()
    const point = deliveryPoint(delivery)
    if (point) await this.deps.bus.publish([{ topic: this.deps.config.bus.topics.footprintPoints, key: delivery.alertId, value: encodePointsRecord([point]), headers: {} }])
  }

  /**
   * The deliveries' policy. Only its delays come from `core/retry.ts`, not its runner: the attempts
   * are counted in the persisted outbox entry, so the budget holds across restarts, and each
   * attempt's outcome, not a thrown error, decides whether to retry.
   */
  private retryPolicy(): RetryPolicy<AttemptOutcome> {
    return deliveryRetryPolicy(this.deps.config.alerts.delivery)
  }

  /** Waits in short slices so the group coordinator keeps hearing from this consumer. */
  private pause(ms: number, context: BatchContext): Promise<void> {
    return waitInSlices(ms, 1000, {
      before: () => {
        if (!context.isActive()) throw new PlatformError('SHUTTING_DOWN', 'notifier stopped while a delivery was being retried; the event will be delivered again', {})
      },
      after: () => context.heartbeat(),
    })
  }
}

function aboutOf(event: AlertEvent): DeliveryAbout {
  return { tenant: event.tenant, site: event.site, deviceId: event.deviceId, rule: event.rule, firedAt: event.firedAt }
}
