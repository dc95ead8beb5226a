import { z } from 'zod'

/** A GeoJSON point: longitude first, then latitude (RFC 7946 §3.1.1). */
export const geoPoint = z.object({
  type: z.literal('Point'),
  coordinates: z.tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)]),
})
export type GeoPoint = z.infer<typeof geoPoint>
