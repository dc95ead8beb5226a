import type { PayloadFormat } from '../../models/reading.js'
import { iotAgentJson, ultralight } from './iot-agent.js'
import type { Envelope, Measure, WireMessage } from './measure.js'
import { ngsiLdConcise, ngsiLdKeyValues, ngsiLdNormalized } from './ngsi-ld.js'
import { senmlPack } from './senml.js'

/** How a simulated device speaks: one wire format, and for NGSI-LD one representation. */
export const variants = ['ngsi-ld-normalized', 'ngsi-ld-concise', 'ngsi-ld-keyvalues', 'senml', 'iota-json', 'ultralight'] as const
export type Variant = (typeof variants)[number]

type Encoder = (envelope: Envelope, measures: readonly Measure[]) => WireMessage

const encoders: Readonly<Record<Variant, Encoder>> = {
  'ngsi-ld-normalized': ngsiLdNormalized,
  'ngsi-ld-concise': ngsiLdConcise,
  'ngsi-ld-keyvalues': ngsiLdKeyValues,
  senml: senmlPack,
  'iota-json': iotAgentJson,
  ultralight,
}

export function encode(variant: Variant, envelope: Envelope, measures: readonly Measure[]): WireMessage {
  return encoders[variant](envelope, measures)
}

/** The format a device of this variant is registered with. */
export function registeredFormat(variant: Variant): PayloadFormat {
  return variant.startsWith('ngsi-ld') ? 'ngsi-ld' : (variant as PayloadFormat)
}
