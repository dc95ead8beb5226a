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
  const record: PointsRecord = { schema: 'circular.points/v1', points: points.map(recordPoint) }
  return Buffer.from(JSON.stringify(record))
}

/**
 * The points in as few records as hold them with no value above `maxValueBytes`, in order: one
 * device's rollups of a large batch may be more than the bus takes in one record. A point too
 * large for a record of its own still travels alone, for the bus to refuse it.
 */
export function encodePointsRecords(points: readonly Point[], maxValueBytes: number): Buffer[] {
  const head = '{"schema":"circular.points/v1","points":['
  const records: Buffer[] = []
  let parts: string[] = []
  let bytes = head.length + 2
  for (const point of points) {
    const part = JSON.stringify(recordPoint(point))
    const size = Buffer.byteLength(part) + 1
    if (parts.length > 0 && bytes + size > maxValueBytes) {
      records.push(Buffer.from(`${head}${parts.join(',')}]}`))
      parts = []
      bytes = head.length + 2
    }
    parts.push(part)
    bytes += size
  }
  if (parts.length > 0) records.push(Buffer.from(`${head}${parts.join(',')}]}`))
  return records
}

function recordPoint(p: Point): PointsRecord['points'][number] {
  return { measurement: p.measurement, tags: { ...p.tags }, fields: { ...p.fields }, time: Math.round(p.time) }
}
