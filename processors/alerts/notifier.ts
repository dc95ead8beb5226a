import type { AssignedPartition, BatchContext, Bus, Consumption, FencedWriter, IncomingRecord } from '../../core/bus/bus.js'
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
import { DeliveryQueues, type WorkOutcome } from './delivery-queues.js'
import { poisonGuarded } from '../poison-records.js'

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
  /** While it is to be sent: the transition itself, so that a restarted notifier can send it without the bus record. */
  event?: AlertEvent
  /** The bus record of the transition: whose partition (and so which notifier instance) the entry belongs to, and the dead letter's origin. */
  source?: { topic: string; partition: number; offset: string; timestamp: number }
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
 * it, which resolves the alert. The outbox is a compacted topic with one entry per (subscriber,
 * alert, phase). An event's entries are written to it, with the event, before the event's offset
 * is committed; from there each receiver (webhook subscriber, Open311 endpoint) has a queue and a
 * worker of its own, with its own retries, so a receiver that fails or hangs delays nobody else.
 * Every attempt is recorded as it ends, so after a restart the notifier knows what was delivered
 * (and skips it), what is still to be sent, and how much of its retry budget is spent. An entry
 * belongs to the notifier instance that holds its event's partition; a rebalance hands the entries
 * over with the partitions. The entries of each event partition are written through a fenced
 * writer of that partition, opened before the outbox is read back: an instance that lost the
 * partition while paused (a long GC, a frozen VM) cannot record anything once the new holder read
 * the outbox, so it never overwrites what the new holder records. A notifier killed (or paused)
 * after sending but before recording leaves the entry to the next holder, which sends again with
 * the same idempotency key, which the receiver uses to drop the repeat. GeoReport v2 has no
 * idempotency key, so before each POST the outbox records that a request is being sent; finding
 * that record after a restart (or after an attempt without an answer), the notifier first looks
 * for the request by the alert marker in its description and sends only if the server does not
 * have it. What remains is a request that an instance posted after the new holder read the outbox
 * (it recorded `sending` just before it lost the partition): the fence refuses its record, and
 * the new holder, finding `sending`, looks for the request before filing one. The transitions of
 * one alert reach each receiver in order.
 */
export class AlertNotifier {
  readonly counters = new Counters(stage, notifierCounterNames)
  private readonly outbox: ChangelogStore<Delivery>
  private needsReload = true
  /** Checked at every request against the address actually connected to; a refused target is dead-lettered at once. */
  private readonly targets: DeliveryTargets
  private readonly queues: DeliveryQueues
  /** The event partitions this instance holds (`topic:partition`); unknown until the group assigns them, and then everything counts as held. */
  private held: Set<string> | undefined
  private resuming: Promise<void> = Promise.resolve()
  private needsResume = false
  private loading: Promise<void> | undefined
  /** The fenced writer of each event partition held (`topic:partition`), through which its entries are written. */
  private readonly writers = new Map<string, FencedWriter>()
  /** Partitions whose writer was fenced: another instance holds them now, whatever the last assignment here said. */
  private readonly fencedOut = new Set<string>()
  private writerTurn: Promise<void> = Promise.resolve()
  private groupId: string | undefined

  constructor(private readonly deps: NotifierDeps) {
    this.outbox = new ChangelogStore<Delivery>(deps.bus, deps.config.alerts.topics.deliveries)
    this.targets = deps.targets ?? new DeliveryTargets(deps.config.alerts.delivery.targetsAllow)
    this.queues = new DeliveryQueues((key) => this.work(key), deps.logger)
  }

  async start(groupId = this.deps.config.alerts.groups.notifier): Promise<Consumption> {
    const { bus, config } = this.deps
    this.groupId = groupId
    await bus.ensureTopics(pipelineTopics(config.bus, config.alerts))
    const consumption = await bus.consume({
      groupId,
      topics: [config.alerts.topics.events],
      handleBatch: poisonGuarded((records, context) => this.handleBatch(records, context), this.deps, stage),
      onAssignment: (assigned) => this.assigned(assigned),
      startAt: config.alerts.startAt,
    })
    let polling: Promise<void> | undefined
    const timer = setInterval(() => {
      if (polling) return
      polling = this.followOpen311Requests()
        .then(async () => void (await this.compactOutbox()))
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'following Open311 requests failed; trying again at the next poll'))
        .finally(() => (polling = undefined))
    }, config.alerts.delivery.open311PollMs)
    return {
      stop: async () => {
        clearInterval(timer)
        await consumption.stop()
        await this.stopDeliveries()
        await polling
        await this.resuming
        await this.closeWriters()
      },
    }
  }

  /** Stops the receivers' queues after the attempts in hand; what was queued stays in the outbox for the next notifier. */
  stopDeliveries(): Promise<void> {
    return this.queues.stop()
  }

  /** Resolves once every queued delivery has ended (delivered, dead-lettered or handed over). */
  settled(): Promise<void> {
    return this.resuming.then(() => this.queues.settled())
  }

  /** Deliveries waiting or under way, per receiver queue (`tenant/channel/subscriber`). */
  queueDepths(): Map<string, number> {
    return this.queues.depths()
  }

  /** A new set of event partitions: reload the outbox, and queue what is still to be sent for them. */
  private assigned(assigned: readonly AssignedPartition[]): void {
    const held = new Set(assigned.filter((a) => a.topic === this.deps.config.alerts.topics.events).map((a) => `${a.topic}:${a.partition}`))
    // A rejoin that hands back the same partitions changes nothing here, unless another instance fenced one of them meanwhile.
    const regained = [...held].some((p) => this.fencedOut.has(p))
    if (this.held && !regained && held.size === this.held.size && [...held].every((p) => this.held!.has(p))) return
    for (const p of held) this.fencedOut.delete(p)
    this.held = held
    this.needsReload = true
    this.needsResume = true
    this.resuming = this.resuming.then(() => this.resumeIfNeeded()).catch((error: unknown) => this.deps.logger.warn({ err: error }, 'could not resume the outbox after an assignment; trying again with the next batch'))
  }

  /** Queues the outbox entries still to be sent for the partitions held, once after each new assignment (again if it failed). */
  private async resumeIfNeeded(): Promise<void> {
    if (!this.needsResume) return
    await this.reloadIfNeeded()
    const waiting = this.outbox.entries().filter(([, d]) => (d.status === 'pending' || d.status === 'sending') && d.event && d.source && this.holds(d.source))
    // Per partition in offset order, so that each receiver gets an alert's transitions in order.
    waiting.sort(([, a], [, b]) => a.source!.partition - b.source!.partition || Number(BigInt(a.source!.offset) - BigInt(b.source!.offset)))
    for (const [key, d] of waiting) this.queues.enqueue(queueOf(d.event!.tenant, d), key)
    this.needsResume = false
  }

  private holds(source: NonNullable<Delivery['source']>): boolean {
    const partition = partitionOf(source)
    return !this.fencedOut.has(partition) && (this.held === undefined || this.held.has(partition))
  }

  /**
   * Writes an outbox entry, with the event, for each receiver of each event, and queues them; the
   * batch's offsets are committed once the entries are durable, not once they are delivered.
   */
  async handleBatch(records: readonly IncomingRecord[], _context?: BatchContext): Promise<void> {
    try {
      await this.reloadIfNeeded()
      let tooOld = 0
      const queued: [string, string][] = []
      const staged: [string, Delivery['source']][] = []
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
        const event = parsed.data
        const source = { topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp }
        for (const subscriber of this.deps.rules.webhooksFor(event.tenant, event.rule, event.phase)) {
          const entry: Delivery = { channel: 'webhook', subscriber: subscriber.id, alertId: event.alertId, phase: event.phase, idempotencyKey: idempotencyKeyOf(event), status: 'pending', attempts: [] }
          const key = this.intake(`${subscriber.id}/${event.alertId}/${event.phase}`, entry, event, source)
          if (key) {
            queued.push([queueOf(event.tenant, entry), key])
            staged.push([key, source])
          }
        }
        const open311 = event.phase === 'firing' ? this.deps.rules.open311For(event.tenant, event.rule) : undefined
        if (open311) {
          const entry: Delivery = { channel: 'open311', subscriber: open311.channel.id, alertId: event.alertId, phase: event.phase, idempotencyKey: idempotencyKeyOf(event), status: 'pending', attempts: [], open311: { rule: event.rule, deviceId: event.deviceId, serviceCode: open311.serviceCode } }
          const key = this.intake(`${open311.channel.id}/${event.alertId}/${event.phase}`, entry, event, source)
          if (key) {
            queued.push([queueOf(event.tenant, entry), key])
            staged.push([key, source])
          }
        }
      }
      // The next hop: once the entries are durable, the events' offsets may be committed.
      await this.writeOutbox(staged)
      // Entries left by the partitions' previous owner go first, so each receiver gets an alert's transitions in order.
      await this.resuming
      await this.resumeIfNeeded()
      for (const [queue, key] of queued) this.queues.enqueue(queue, key)
      if (tooOld > 0) {
        this.counters.add('tooOld', tooOld)
        this.deps.logger.warn({ transitions: tooOld, maxAgeMs: this.deps.config.alerts.delivery.maxAgeMs }, 'alert transitions older than ALERT_DELIVERY_MAX_AGE_MS are not sent')
      }
    } catch (error) {
      this.needsReload = true
      throw error
    }
  }

  /** Stages the entry of one receiver for one transition, unless it has ended already; the key to queue, if any. */
  private intake(key: string, fresh: Delivery, event: AlertEvent, source: NonNullable<Delivery['source']>): string | undefined {
    const known = this.outbox.get(key)
    if (known && (known.status === 'delivered' || known.status === 'dead')) {
      this.counters.add('alreadyDelivered')
      return undefined
    }
    // An entry recorded before entries kept their event (or a redelivered event's own) gets it now.
    if (!known || !known.event) this.outbox.stage(key, { ...(known ?? fresh), about: known?.about ?? aboutOf(event), event, source })
    return key
  }

  /** One queued entry, to its end: delivered, dead-lettered, or left to the instance that holds its partition now. */
  private async work(key: string): Promise<WorkOutcome> {
    await this.reloadIfNeeded()
    const delivery = this.outbox.get(key)
    if (!delivery || delivery.status === 'delivered' || delivery.status === 'dead' || !delivery.event || !delivery.source) return 'done'
    if (!this.holds(delivery.source)) return 'dropped'
    // Resumed after a long outage: what was never tried is as stale as a transition that waited on the bus.
    if (delivery.attempts.length === 0 && Date.now() - delivery.source.timestamp > this.deps.config.alerts.delivery.maxAgeMs) {
      const stale = structuredClone(delivery)
      stale.status = 'dead'
      stale.attempts.push({ at: Date.now(), error: 'not sent: older than ALERT_DELIVERY_MAX_AGE_MS' })
      await this.record(key, ended(stale))
      this.counters.add('tooOld')
      this.deps.logger.warn({ alertId: delivery.alertId, subscriber: delivery.subscriber, maxAgeMs: this.deps.config.alerts.delivery.maxAgeMs }, 'alert transition older than ALERT_DELIVERY_MAX_AGE_MS is not sent')
      return 'done'
    }
    try {
      if (delivery.channel === 'open311') {
        const mapped = this.deps.rules.open311For(delivery.event.tenant, delivery.event.rule)
        const channel = mapped && mapped.channel.id === delivery.subscriber ? mapped.channel : this.deps.rules.open311Channels().get(delivery.subscriber)
        if (!channel) return await this.gone(key, delivery, `Open311 ${delivery.subscriber}`)
        await this.fileServiceRequest(channel, delivery.open311?.serviceCode ?? mapped?.serviceCode ?? '', key, delivery)
      } else {
        const subscriber = this.deps.rules.webhooksFor(delivery.event.tenant, delivery.event.rule, delivery.event.phase).find((s) => s.id === delivery.subscriber)
        if (!subscriber) return await this.gone(key, delivery, `webhook ${delivery.subscriber}`)
        await this.deliver(subscriber, key, delivery)
      }
    } catch (error) {
      // Stopping, or the partition went to another instance: the entry stays as recorded, for whoever holds it next.
      if (error instanceof PlatformError && error.code === 'SHUTTING_DOWN') return 'dropped'
      throw error
    }
    return 'done'
  }

  /** The receiver was removed from the rules while the entry waited: nobody to send it to. */
  private async gone(key: string, delivery: Delivery, receiver: string): Promise<WorkOutcome> {
    const entry = structuredClone(delivery)
    entry.attempts.push({ at: Date.now(), error: 'receiver no longer configured' })
    await this.deadLetter(key, entry, receiver)
    return 'done'
  }

  private async deliver(subscriber: WebhookSubscriber, key: string, known: Delivery): Promise<void> {
    const delivery = structuredClone(known)
    const event = delivery.event!
    const { timeoutMs } = this.deps.config.alerts.delivery
    const policy = this.retryPolicy()
    const send = this.deps.send ?? ((s: WebhookSubscriber, e: AlertEvent, t: number) => postWebhook(s, e, t, this.targets))
    let targetRefused = false
    while (delivery.attempts.length < policy.maxAttempts) {
      if (delivery.attempts.length > 0) await this.pause(retryDelay(policy, delivery.attempts.length - 1), delivery)
      this.mustHold(delivery)
      const outcome = await send(subscriber, event, timeoutMs)
      delivery.attempts.push({ at: Date.now(), ...(outcome.status !== undefined ? { status: outcome.status } : {}), ...(outcome.error !== undefined ? { error: outcome.error } : {}) })
      if (outcome.result === 'delivered') {
        delivery.status = 'delivered'
        delivery.deliveredAt = delivery.attempts.at(-1)!.at
        await this.record(key, ended(delivery))
        this.counters.add('delivered')
        return
      }
      this.counters.add('attemptsFailed')
      targetRefused = outcome.targetRefused === true
      if (!policy.retryable(outcome)) break
      await this.record(key, delivery)
    }
    await this.deadLetter(key, delivery, `webhook ${subscriber.id}`, targetRefused ? 'DELIVERY_TARGET_REFUSED' : 'DELIVERY_FAILED')
  }

  /** Files one service request, unless the server already has it (see the class comment). */
  private async fileServiceRequest(channel: Open311Channel, serviceCode: string, key: string, known: Delivery): Promise<void> {
    const delivery = structuredClone(known)
    const event = delivery.event!
    const form = serviceRequestForm(channel, serviceCode, event)
    if (typeof form === 'string') {
      delivery.attempts.push({ at: Date.now(), error: form })
      return this.deadLetter(key, delivery, `Open311 ${channel.id}`)
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
      if (delivery.attempts.length > 0) await this.pause(retryDelay(policy, delivery.attempts.length - 1), delivery)
      if (await alreadyFiled()) return
      delivery.status = 'sending'
      await this.record(key, delivery)
      this.mustHold(delivery)
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
    await this.deadLetter(key, delivery, `Open311 ${channel.id}`, targetRefused ? 'DELIVERY_TARGET_REFUSED' : 'DELIVERY_FAILED')
  }

  private async filed(key: string, delivery: Delivery, filed: { serviceRequestId?: string; token?: string }): Promise<void> {
    delivery.status = 'delivered'
    // A request found filed was filed by the attempt before; otherwise by the one just made.
    delivery.deliveredAt = delivery.attempts.at(-1)?.at ?? Date.now()
    delivery.open311 = { ...delivery.open311!, ...filed }
    await this.record(key, ended(delivery))
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
    const held = (d: Delivery) => d.source === undefined || this.holds(d.source)
    const open = this.outbox.entries().filter(([, d]) => d.channel === 'open311' && d.status === 'delivered' && d.open311 && !d.open311.closed && held(d))
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
      if (delivery.channel !== 'open311' || delivery.status !== 'delivered' || delivery.open311?.serviceRequestId === undefined || delivery.open311.closed || !held(delivery)) continue
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

  /**
   * Deletes the outbox entries that ended (delivered, dead-lettered, their Open311 request closed)
   * longer than `ALERT_DELIVERY_MAX_AGE_MS` ago, with a tombstone each, so that the outbox does not
   * grow for ever. Their transition would not be sent again anyway: older than that, it is too old.
   * Only the entries of the partitions held; returns how many went.
   */
  async compactOutbox(now = Date.now()): Promise<number> {
    await this.reloadIfNeeded()
    const { maxAgeMs } = this.deps.config.alerts.delivery
    const deleted: [string, Delivery['source']][] = []
    for (const [key, d] of this.outbox.entries()) {
      const ended = d.status === 'dead' || (d.status === 'delivered' && (d.channel !== 'open311' || d.open311?.closed === true))
      const endedAt = d.attempts.at(-1)?.at ?? d.deliveredAt ?? 0
      if (!ended || now - Math.max(endedAt, d.source?.timestamp ?? 0) <= maxAgeMs || (d.source && !this.holds(d.source))) continue
      this.outbox.delete(key)
      deleted.push([key, d.source])
    }
    if (deleted.length > 0) {
      await this.writeOutbox(deleted)
      this.deps.logger.info({ entries: deleted.length }, 'ended deliveries older than ALERT_DELIVERY_MAX_AGE_MS removed from the outbox')
    }
    return deleted.length
  }

  /** Out of budget, or refused for good (by the receiver, or its target by the policy): park it where an operator looks, and move on. */
  private async deadLetter(key: string, delivery: Delivery, receiver: string, code: 'DELIVERY_FAILED' | 'DELIVERY_TARGET_REFUSED' = 'DELIVERY_FAILED'): Promise<void> {
    const last = delivery.attempts.at(-1)
    const message = `${receiver} after ${delivery.attempts.length} attempts: ${last?.status !== undefined ? `HTTP ${last.status}` : (last?.error ?? 'no answer')}`
    await this.deps.bus.publish([deadLetterRecord(this.deps.config.bus.topics.deadLetter, stage, sourceRecord(delivery), [{ code, message }], this.deps.config.bus.maxRecordBytes)])
    delivery.status = 'dead'
    await this.record(key, ended(delivery))
    this.counters.add('deadLettered')
    this.deps.logger.warn({ receiver, alertId: delivery.alertId, phase: delivery.phase, code }, `alert delivery dead-lettered: ${message}`)
  }

  /**
   * One load at a time, shared by all who need it; it keeps what this instance is writing (see
   * ChangelogStore.load). The writers of newly held partitions are opened first: what an earlier
   * holder did not write by then, it can no longer write.
   */
  private async reloadIfNeeded(): Promise<void> {
    await this.openWriters()
    while (this.needsReload) {
      this.loading ??= (async () => {
        this.needsReload = false
        try {
          await this.outbox.load({ keepLocal: true })
        } catch (error) {
          this.needsReload = true
          throw error
        } finally {
          this.loading = undefined
        }
      })()
      await this.loading
    }
    await this.loading
  }

  /** The outbox first, as it alone decides what is sent again; then the entry's point for the API, through the sink. */
  private async record(key: string, delivery: Delivery): Promise<void> {
    // An instance that lost the partition leaves the entry to the new owner, which may be sending it already.
    if (delivery.source && !this.holds(delivery.source)) throw handedOver()
    this.outbox.stage(key, delivery)
    try {
      await this.writeOutbox([[key, delivery.source]])
    } catch (error) {
      if (error instanceof PlatformError && error.code === 'BUS_FENCED') throw handedOver()
      throw error
    }
    const point = deliveryPoint(delivery)
    if (point) await this.deps.bus.publish([{ topic: this.deps.config.bus.topics.footprintPoints, key: delivery.alertId, value: encodePointsRecord([point]), headers: {} }])
  }

  /**
   * Writes the staged entries `keys`, each through the fenced writer of its event's partition
   * (entries without one, and every entry before the group assigned partitions, straight to the
   * bus). Throws BUS_FENCED if a writer was fenced: its entries are dropped here and read back.
   */
  private async writeOutbox(entries: readonly (readonly [string, Delivery['source']])[]): Promise<void> {
    const byPartition = new Map<string | undefined, Set<string>>()
    for (const [key, source] of entries) {
      const partition = source && this.held !== undefined ? partitionOf(source) : undefined
      const keys = byPartition.get(partition) ?? new Set<string>()
      byPartition.set(partition, keys.add(key))
    }
    await Promise.all(
      [...byPartition].map(async ([partition, keys]) => {
        if (partition === undefined) return this.outbox.flush(undefined, keys)
        const writer = await this.writerOf(partition)
        try {
          await this.outbox.flush((records) => writer.publish(records), keys)
        } catch (error) {
          if (error instanceof PlatformError && error.code === 'BUS_FENCED') this.fenced(partition, keys)
          throw error
        }
      }),
    )
  }

  private async writerOf(partition: string): Promise<FencedWriter> {
    if (!this.writers.has(partition) && !this.fencedOut.has(partition)) await this.openWriters()
    const writer = this.writers.get(partition)
    if (!writer) throw new PlatformError('BUS_FENCED', `event partition ${partition} is no longer held here: its outbox entries are the new holder's`, {})
    return writer
  }

  /** Another instance opened the partition's writer: it holds the partition, and this instance's entries of it are stale. */
  private fenced(partition: string, keys: Iterable<string>): void {
    if (!this.fencedOut.has(partition)) this.deps.logger.warn({ partition }, 'another notifier took this event partition; its deliveries are handed over')
    this.fencedOut.add(partition)
    const writer = this.writers.get(partition)
    this.writers.delete(partition)
    void writer?.close().catch(() => undefined)
    this.outbox.discard(keys)
    this.needsReload = true
  }

  /** Opens a writer for each partition held that has none, and closes those of partitions no longer held; one turn at a time. */
  private openWriters(): Promise<void> {
    const turn = this.writerTurn.then(async () => {
      const held = this.held
      if (held === undefined) return
      for (const [partition, writer] of this.writers) {
        if (held.has(partition)) continue
        this.writers.delete(partition)
        await writer.close().catch(() => undefined)
      }
      for (const partition of held) {
        if (this.writers.has(partition) || this.fencedOut.has(partition)) continue
        this.writers.set(partition, await this.deps.bus.openFencedWriter(`notifier-outbox.${this.groupId ?? this.deps.config.alerts.groups.notifier}.${partition.replace(':', '.')}`))
      }
    })
    this.writerTurn = turn.catch(() => undefined)
    return turn
  }

  private async closeWriters(): Promise<void> {
    await this.writerTurn
    const writers = [...this.writers.values()]
    this.writers.clear()
    await Promise.all(writers.map((w) => w.close().catch(() => undefined)))
  }

  /**
   * The deliveries' policy. Only its delays come from `core/retry.ts`, not its runner: the attempts
   * are counted in the persisted outbox entry, so the budget holds across restarts, and each
   * attempt's outcome, not a thrown error, decides whether to retry.
   */
  private retryPolicy(): RetryPolicy<AttemptOutcome> {
    return deliveryRetryPolicy(this.deps.config.alerts.delivery)
  }

  /** Waits out a retry's delay in short slices, to stop soon when the notifier stops or the entry's partition goes to another instance. */
  private pause(ms: number, delivery: Delivery): Promise<void> {
    return waitInSlices(ms, 250, {
      before: () => {
        if (this.queues.stopped) throw new PlatformError('SHUTTING_DOWN', 'notifier stopped while a delivery was being retried; it resumes from the outbox', {})
        this.mustHold(delivery)
      },
    })
  }

  private mustHold(delivery: Delivery): void {
    if (delivery.source && !this.holds(delivery.source)) throw handedOver()
  }
}

function partitionOf(source: NonNullable<Delivery['source']>): string {
  return `${source.topic}:${source.partition}`
}

function handedOver(): PlatformError {
  return new PlatformError('SHUTTING_DOWN', 'the event partition went to another notifier, which resumes the delivery from the outbox', {})
}

/** Each receiver's own queue: a tenant's webhook subscriber or Open311 endpoint. */
function queueOf(tenant: string, delivery: Pick<Delivery, 'channel' | 'subscriber'>): string {
  return `${tenant}/${delivery.channel ?? 'webhook'}/${delivery.subscriber}`
}

/** An ended entry keeps no copy of the event: the outbox stays small, and nothing sends it again. */
function ended(delivery: Delivery): Delivery {
  const { event: _event, ...rest } = delivery
  return rest
}

/** The transition's bus record, as the dead letter's origin. */
function sourceRecord(delivery: Delivery): IncomingRecord {
  const source = delivery.source ?? { topic: 'unknown', partition: 0, offset: '0', timestamp: Date.now() }
  return { ...source, key: delivery.alertId, value: Buffer.from(JSON.stringify(delivery.event ?? { alertId: delivery.alertId, phase: delivery.phase })), headers: {} }
}

function aboutOf(event: AlertEvent): DeliveryAbout {
  return { tenant: event.tenant, site: event.site, deviceId: event.deviceId, rule: event.rule, firedAt: event.firedAt }
}
