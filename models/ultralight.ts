import type { DecodeContext, DecodeResult, Rejection } from './decoding.js'
import { tooManyItems } from './limits.js'
import { coerceText, decodeMeasureGroups, topicAttribute, type MeasureGroup } from './measures.js'
import { reject } from './rejections.js'

/**
 * Decodes FIWARE Ultralight 2.0 measures (telefonicaid/iotagent-ul, data-models §6.2):
 * `key|value|key|value`, groups separated by `#`, each group optionally led by an ISO 8601
 * timestamp (`2016-06-13T00:35:30Z|lle|100`). Values are untyped text, read as the attribute
 * expects. On a single-attribute topic (`…/attrs/<attribute>`) the payload is the value itself.
 */

const leadingTimestamp = /^\d{4}-\d{2}-\d{2}[Tt]/

export function decodeUltralight(text: string, ctx: DecodeContext): DecodeResult {
  const payload = text.trim()
  if (payload.length === 0) return { format: 'ultralight', readings: [], rejections: [reject('PAYLOAD_MALFORMED', 'the Ultralight payload is empty')] }
  const attribute = topicAttribute(ctx.topic)
  if (attribute !== undefined) return decodeMeasureGroups('ultralight', [{ measures: [[attribute, payload]] }], ctx, coerceText)

  // MQTT caps the bytes, so splitting first is bounded; the item cap is checked before any decoding.
  const texts = payload.split('#')
  const tooManyGroups = tooManyItems(texts.length, 'Ultralight groups')
  if (tooManyGroups !== undefined) return { format: 'ultralight', readings: [], rejections: [tooManyGroups] }

  const groups: MeasureGroup[] = []
  const faults: Rejection[] = []
  let tokenCount = 0
  for (const group of texts) {
    if (group.length === 0) continue
    const tokens = group.split('|')
    tokenCount += tokens.length
    const tooMany = tooManyItems(Math.ceil(tokenCount / 2), 'Ultralight measures')
    if (tooMany !== undefined) return { format: 'ultralight', readings: [], rejections: [tooMany] }
    // No attribute name looks like a date, so a leading date is the group's timestamp.
    const timestamp = leadingTimestamp.test(tokens[0] ?? '') ? tokens.shift() : undefined
    const measures: [string, string][] = []
    for (let index = 0; index < tokens.length; index += 2) {
      const key = tokens[index] ?? ''
      const value = tokens[index + 1]
      if (key.length === 0) faults.push(reject('PAYLOAD_MALFORMED', `Ultralight group "${group.slice(0, 60)}" has an empty key`))
      else if (value === undefined) faults.push(reject('VALUE_INVALID', `${key} has no value in Ultralight group "${group.slice(0, 60)}"`, key))
      else measures.push([key, value])
    }
    groups.push(timestamp === undefined ? { measures } : { measures, timestamp: ['timestamp', timestamp] })
  }
  const result = decodeMeasureGroups('ultralight', groups, ctx, coerceText)
  return faults.length === 0 ? result : { ...result, rejections: [...faults, ...result.rejections] }
}
