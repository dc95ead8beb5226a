import type { Client } from 'aedes'
import type { ConnectionEvent, ConnectionReason } from '../models/device-status.js'

/** The device a session belongs to, as its events name it. */
export interface SessionDevice {
  readonly id: string
  readonly tenant: string
  readonly site: string
}

/** How long a detail may be in an event (the schema allows 500). */
const maxDetailLength = 400

/**
 * What the broker tells about each device session: an `online` event when it starts and, when it
 * ends, an `offline` event with the reason. A session's end is told by what happened last on it:
 * a DISCONNECT the device sent, the broker closing it (with its reason), or the connection lost
 * (a socket error or a keep-alive timeout, else closed without DISCONNECT). A Last Will the device
 * left on its own status topic is folded into its offline event instead of becoming a second
 * record, so a dropped connection is one status event. A device's offline event is told when its
 * last session on this broker ends, naming the newest session it started here, which is the one
 * the alerts follow.
 */
export class ConnectionEvents {
  private readonly sessions = new WeakMap<Client, string>()
  private readonly endings = new WeakMap<Client, { reason: ConnectionReason; detail: string }>()
  private readonly wills = new WeakMap<Client, string>()
  private readonly willNotes = new WeakMap<Client, string>()
  /** Per device, the newest session started on this broker and not yet told ended. */
  private readonly newest = new Map<string, string>()

  /** `brokerId` names this broker instance in session names, so sessions on several brokers never share one. */
  constructor(private readonly brokerId: string) {}

  started(client: Client, device: SessionDevice, at: number, detail: string): ConnectionEvent {
    const session = `${this.brokerId}:${client.id}:${at}`
    this.sessions.set(client, session)
    this.newest.set(device.id, session)
    return { ...about(device, at), connection: 'online', reason: 'connected', detail: cut(detail || `device ${device.id} connected`), session }
  }

  /** The broker closes the session, and why; the first reason given stands. */
  closedByBroker(client: Client, detail: string): void {
    if (!this.endings.has(client)) this.endings.set(client, { reason: 'closed_by_broker', detail })
  }

  /** The connection failed (socket error, keep-alive timeout), unless the broker had closed it already. */
  lost(client: Client, detail: string): void {
    if (!this.endings.has(client)) this.endings.set(client, { reason: 'connection_lost', detail })
  }

  /** The Last Will, on the device's status topic, to be told in the offline event. */
  holdWill(client: Client, text: string): void {
    this.wills.set(client, text)
  }

  /** What became of a Last Will that is not told in the offline event: handed over elsewhere, or refused. */
  noteWill(client: Client, note: string): void {
    this.willNotes.set(client, note)
  }

  /**
   * The offline event of a session that ended, when it was the device's `last` on this broker;
   * undefined otherwise, and for one that never started (refused at CONNECT).
   */
  ended(client: Client, device: SessionDevice, at: number, last: boolean): ConnectionEvent | undefined {
    const own = this.sessions.get(client)
    if (own === undefined) return undefined
    this.sessions.delete(client)
    if (!last) return undefined
    const session = this.newest.get(device.id) ?? own
    this.newest.delete(device.id)
    // aedes sets `_disconnected` only on a DISCONNECT packet (aedes 1.x).
    const cleanly = (client as unknown as { _disconnected?: boolean })._disconnected === true
    const ending = cleanly ? { reason: 'disconnected' as const, detail: 'the device sent DISCONNECT' } : (this.endings.get(client) ?? { reason: 'connection_lost' as const, detail: 'the connection closed without DISCONNECT' })
    const will = this.wills.get(client)
    const note = this.willNotes.get(client)
    return {
      ...about(device, at),
      connection: 'offline',
      reason: ending.reason,
      detail: cut(note === undefined ? ending.detail : `${ending.detail}; ${note}`),
      session,
      ...(will !== undefined ? { lastWill: will } : {}),
    }
  }
}

function about(device: SessionDevice, at: number): Pick<ConnectionEvent, 'schema' | 'deviceId' | 'tenant' | 'site' | 'at'> {
  return { schema: 'circular.device-status/v1', deviceId: device.id, tenant: device.tenant, site: device.site, at }
}

function cut(text: string): string {
  return text.length <= maxDetailLength ? text : `${text.slice(0, maxDetailLength - 1)}…`
}
