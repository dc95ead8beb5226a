import { describe, expect, test } from 'vitest'
import type { CanonicalReading, ReadingEnvelope } from '../../../models/reading.js'
import { siteFlow, siteFlowOf, siteFlowRecord, siteKeyOf } from '../../../processors/alerts/site-flow.js'

const t0 = Date.parse('2026-11-02T08:00:00Z')
const source = { topic: 'telemetry.readings', partition: 1, offset: '17' }

function envelope(kind: ReadingEnvelope['kind'], readings: Omit<CanonicalReading, 'unit' | 'attribute'>[], extra: Partial<ReadingEnvelope> = {}): ReadingEnvelope {
  return { schema: 'circular.readings/v1', tenant: 'city', site: 'rc-1', deviceId: 'dev-1', kind, format: 'senml', receivedAt: t0, source, readings: readings.map((r) => ({ attribute: r.field, unit: '', ...r })), ...extra }
}

describe('site flows', () => {
  test("a weighbridge's weighings should become the site's inflows and outflows, with where the site is", () => {
    const weighings = envelope(
      'weighing_device',
      [
        { measurement: 'waste_weighing', field: 'net_weight_kg', value: 1000, time: t0 },
        { measurement: 'waste_weighing', field: 'direction', value: 'in', time: t0 },
        { measurement: 'waste_weighing', field: 'net_weight_kg', value: 400, time: t0 + 1 },
        { measurement: 'waste_weighing', field: 'direction', value: 'out', time: t0 + 1 },
      ],
      { location: { type: 'Point', coordinates: [4.4, 51.2] } },
    )
    const flow = siteFlowOf(weighings, source)
    expect(flow).toEqual({
      schema: 'circular.site-flow/v1',
      tenant: 'city',
      site: 'rc-1',
      deviceId: 'dev-1',
      weighingDevice: true,
      location: { type: 'Point', coordinates: [4.4, 51.2] },
      source,
      weighings: [
        { time: t0, direction: 'in', netKg: 1000 },
        { time: t0 + 1, direction: 'out', netKg: 400 },
      ],
      stock: [],
    })
    expect(siteFlow.parse(flow)).toEqual(flow)
  })

  test("a container's cargo weights should become the site's stock, and readings without mass should give no flow", () => {
    const weights = envelope('waste_container', [
      { measurement: 'waste_container', field: 'cargo_weight_kg', value: 120, time: t0 },
      { measurement: 'waste_container', field: 'filling_level', value: 0.5, time: t0 },
    ])
    expect(siteFlowOf(weights, source)).toMatchObject({ weighingDevice: false, weighings: [], stock: [{ time: t0, kg: 120 }] })
    expect(siteFlowOf(envelope('waste_container', [{ measurement: 'waste_container', field: 'filling_level', value: 0.5, time: t0 }]), source)).toBeUndefined()
    // Weighing fields on a container are not a weighbridge's weighings.
    expect(siteFlowOf(envelope('waste_container', [{ measurement: 'waste_weighing', field: 'net_weight_kg', value: 5, time: t0 }]), source)).toBeUndefined()
  })

  test("a flow's record should be keyed by its site, so that all of a site's flows reach one state", () => {
    const flow = siteFlowOf(envelope('waste_container', [{ measurement: 'waste_container', field: 'cargo_weight_kg', value: 80, time: t0 }]), source)!
    const record = siteFlowRecord('alerts.site-flows', flow)
    expect(record).toMatchObject({ topic: 'alerts.site-flows', key: 'site:city/rc-1', headers: {} })
    expect(JSON.parse(record.value.toString('utf8'))).toEqual(flow)
    expect(siteKeyOf('city', 'rc-1')).toBe('site:city/rc-1')
  })
})
