import { z } from 'zod'
import type { Point } from '../core/store/store.js'

/** A record of ready-made store points (computed rollups and events), written as they are by the sink. */
export const pointsRecord = z.object({
  schema: z.literal('circular.points/v1'),
  points: z.array(
    z.object({
      measurement: z.string().regex(/^[a-z][a-z0-9_]*$/),
      tags: z.record(z.string(), z.string()),
      fields: z.record(z.string(), z.union([z.number().refine(Number.isFinite, 'must be finite'), z.string(), z.boolean()])),
      time: z.number().int(),
    }),
  ),
})
export type PointsRecord = z.infer<typeof pointsRecord>

export function encodePointsRecord(points: readonly Point[]): Buffer {
  const record: PointsRecord = { schema: 'circular.points/v1', points: points.map((p) => ({ measurement: p.measurement, tags: { ...p.tags }, fields: { ...p.fields }, time: Math.round(p.time) })) }
  return Buffer.from(JSON.stringify(record))
}
