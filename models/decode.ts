import type { DecodeContext, DecodeResult } from './decoding.js'
import { applyInvariants } from './invariants.js'
import { decodeIotaJson } from './iota-json.js'
import { topicAttribute } from './measures.js'
import { decodeNgsiLd } from './ngsi-ld.js'
import type { PayloadFormat } from './reading.js'
import { reject } from './rejections.js'
import { decodeSenml } from './senml.js'
import { decodeUltralight } from './ultralight.js'

/**
 * The decoder's entry point: payload bytes → canonical readings plus the reasons for whatever was
 * refused. It never throws; every fault, even an unforeseen one, comes back as a rejection.
 *
 * The format is detected in the order of data-models §8.1: the topic (`…/ngsi-ld`, `…/senml`,
 * `/json/…`, `/ul/…`), then the content (a SenML pack or NGSI-LD entities by their shape), then
 * the format the device was registered with — the only way to tell IoT Agent JSON or Ultralight
 * on a topic that does not name them.
 */

type DecodedFormat = DecodeResult['format']

// RFC 8259 §8.1 and RFC 8428 §5: JSON travels as UTF-8; invalid sequences are refused, not replaced.
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** SenML labels that identify a pack's records (data-models §8.1). */
const senmlLabels = ['n', 'bn', 'v', 'vs', 'vb', 'bt', 'bu']

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function failed(format: DecodedFormat, code: 'PAYLOAD_MALFORMED' | 'FORMAT_UNKNOWN', message: string): DecodeResult {
  return { format, readings: [], rejections: [reject(code, message)] }
}

export function decodePayload(bytes: Buffer, ctx: DecodeContext): DecodeResult {
  try {
    return explained(applyInvariants(decode(bytes, ctx)))
  } catch (error) {
    // A decoder fault must not stop the pipeline; the payload goes to the dead-letter topic.
    return failed(ctx.format === 'auto' ? 'unknown' : ctx.format, 'PAYLOAD_MALFORMED', `the payload could not be decoded: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** Every payload yields readings or reasons: one that holds only metadata says so. */
function explained(result: DecodeResult): DecodeResult {
  if (result.readings.length > 0 || result.rejections.length > 0) return result
  return { ...result, rejections: [reject('ENTITY_INVALID', 'the payload holds no readings, only descriptive attributes or nothing at all')] }
}

function decode(bytes: Buffer, ctx: DecodeContext): DecodeResult {
  const requested: DecodedFormat = ctx.format === 'auto' ? 'unknown' : ctx.format
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return failed(requested, 'PAYLOAD_MALFORMED', 'the payload is not valid UTF-8')
  }
  if (ctx.format === 'ultralight') return decodeUltralight(text, ctx)

  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    // Not JSON: on a topic that names no format, it may be the Ultralight text the device registered for.
    if (ctx.format === 'auto' && ctx.registeredFormat === 'ultralight') return decodeUltralight(text, ctx)
    // An IoT Agent single-attribute topic carries the raw value; text that is no JSON is that text (data-models §6.1).
    if (isIotaJson(ctx) && topicAttribute(ctx.topic) !== undefined && text.length > 0) return decodeIotaJson(text, ctx)
    return failed(requested, 'PAYLOAD_MALFORMED', `the payload is not JSON: ${(error as Error).message}`)
  }

  const format = ctx.format === 'auto' ? detectFormat(document, ctx.registeredFormat) : ctx.format
  switch (format) {
    case 'senml':
      return decodeSenml(document, ctx)
    case 'ngsi-ld':
      return decodeNgsiLd(document, ctx)
    case 'iota-json':
      return decodeIotaJson(document, ctx)
    case 'ultralight':
      // Registered Ultralight whose text happens to parse as JSON, e.g. `42` on a single-attribute topic.
      return decodeUltralight(text, ctx)
    case 'unknown':
      return failed('unknown', 'FORMAT_UNKNOWN', 'the payload is neither a SenML pack nor NGSI-LD entities (with "id" and "type"), and the device has no registered format')
  }
}

function isIotaJson(ctx: DecodeContext): boolean {
  return ctx.format === 'iota-json' || (ctx.format === 'auto' && ctx.registeredFormat === 'iota-json')
}

/** Content first, then the registration (data-models §8.1). */
function detectFormat(document: unknown, registered: PayloadFormat | undefined): Exclude<DecodedFormat, 'device-status'> {
  const sniffed = sniffFormat(document)
  if (sniffed !== 'unknown' || registered === undefined || registered === 'auto') return sniffed
  return registered
}

/**
 * The format of a parsed JSON payload by its shape (data-models §8.1): an array of records with
 * SenML labels is SenML; an object, or array of objects, with `id` and `type` is NGSI-LD. IoT Agent
 * JSON has no tell-tale shape; it is known from its topic.
 */
export function sniffFormat(document: unknown): Exclude<PayloadFormat, 'auto' | 'iota-json' | 'ultralight'> | 'unknown' {
  const items = Array.isArray(document) ? document : [document]
  if (Array.isArray(document) && items.some((item) => isObject(item) && senmlLabels.some((label) => Object.hasOwn(item, label)))) return 'senml'
  if (items.some((item) => isObject(item) && Object.hasOwn(item, 'id') && Object.hasOwn(item, 'type'))) return 'ngsi-ld'
  return 'unknown'
}
