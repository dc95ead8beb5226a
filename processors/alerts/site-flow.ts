import { z } from 'zod'
import type { OutgoingRecord } from '../../core/bus/bus.js'
import { geoPoint } from '../../models/geo.js'
import type { ReadingEnvelope } from '../../models/reading.js'
import { weighingsOf } from '../../models/weighings.js'

/**
 * What one readings record tells about the mass at its device's site: weighbridge weighings in
 * and out, and the cargo weights of the site's containers (its stock). The readings topic is keyed
 * by device, but a site's balance needs all its devices in one place, so the alerts processor
 * re-publishes these keyed by site on its own topic and keeps the site's state where that key
 * lands, the way a Kafka Streams repartition does.
 */
export const siteFlow = z.object({
  schema: z.literal('circular.site-flow/v1'),
  tenant: z.string().min(1),
  site: z.string().min(1),
  deviceId: z.string().min(1),
  weighingDevice: z.boolean(),
  location: geoPoint.optional(),
  /** The readings record it was derived from: a replay derives it again with the same position. */
  source: z.object({ topic: z.string(), partition: z.number().int(), offset: z.string() }),
  weighings: z.array(z.object({ time: z.number().int(), direction: z.enum(['in', 'out']), netKg: z.number() })),
  stock: z.array(z.object({ time: z.number().int(), kg: z.number() })),
})
export type SiteFlow = z.infer<typeof siteFlow>

/**
 * The key of a site's state and alerts. It stands where a device id stands elsewhere (the alert's
 * `deviceId`), and the colon, which no device id may contain, keeps the two apart.
 */
export function siteKeyOf(tenant: string, site: string): string {
  return `site:${tenant}/${site}`
}

export function siteFlowRecord(topic: string, flow: SiteFlow): OutgoingRecord {
  return { topic, key: siteKeyOf(flow.tenant, flow.site), value: Buffer.from(JSON.stringify(flow)), headers: {} }
}

/** The site flow of a readings record, when it has weighings or container cargo weights. */
export function siteFlowOf(envelope: ReadingEnvelope, source: SiteFlow['source']): SiteFlow | undefined {
  const weighings = envelope.kind === 'weighing_device' ? weighingsOf(envelope).map((w) => ({ time: w.time, direction: w.direction, netKg: w.netKg })) : []
  const stock =
    envelope.kind === 'waste_container'
      ? envelope.readings.flatMap((r) => (r.measurement === 'waste_container' && r.field === 'cargo_weight_kg' && typeof r.value === 'number' ? [{ time: r.time, kg: r.value }] : []))
      : []
  if (weighings.length === 0 && stock.length === 0) return undefined
  return {
    schema: 'circular.site-flow/v1',
    tenant: envelope.tenant,
    site: envelope.site,
    deviceId: envelope.deviceId,
    weighingDevice: envelope.kind === 'weighing_device',
    ...(envelope.location ? { location: envelope.location } : {}),
    source,
    weighings,
    stock,
  }
}
