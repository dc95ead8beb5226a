import type { Client } from 'aedes'

/**
 * The connections each device holds on this broker instance, oldest first. A device may hold
 * `maxPerDevice` at once (client ids `<id>` or `<id>:…`); one more takes over the oldest, which is
 * closed, as MQTT does for a second connection with the same client id (MQTT-3.1.4-2).
 */
export class DeviceSessions {
  private readonly byDevice = new Map<string, Client[]>()

  constructor(
    private readonly maxPerDevice: number,
    private readonly takeOver: (oldest: Client, deviceId: string) => void,
  ) {}

  opened(deviceId: string, client: Client): void {
    const clients = (this.byDevice.get(deviceId) ?? []).filter((c) => c !== client)
    clients.push(client)
    this.byDevice.set(deviceId, clients)
    while (clients.length > this.maxPerDevice) this.takeOver(clients.shift()!, deviceId)
  }

  closed(deviceId: string, client: Client): void {
    const clients = this.byDevice.get(deviceId)?.filter((c) => c !== client) ?? []
    if (clients.length === 0) this.byDevice.delete(deviceId)
    else this.byDevice.set(deviceId, clients)
  }

  count(deviceId: string): number {
    return this.byDevice.get(deviceId)?.length ?? 0
  }
}
