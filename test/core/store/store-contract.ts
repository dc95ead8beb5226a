/**
 * The store's behaviour as the processors and the API rely on it, run against every
 * implementation (InfluxDB and the embedded SQLite store) so the two cannot drift apart.
 *
 * Differences that stay outside this contract, by design:
 * - Line protocol cannot carry a line break in a measurement, tag or field name or tag value, a
 *   tag value ending in a backslash, or a measurement starting with `#`; the InfluxDB store
 *   refuses such points and the embedded store keeps them. In string field values the InfluxDB
 *   store turns line breaks into spaces. Names here avoid all of these.
 * - InfluxDB checks field types per shard (7 days by default), so a type written in another
 *   shard's time range is not a conflict there; the embedded store checks across all time. Every
 *   conflict below lies within one shard.
 * - Both stores keep milliseconds: the InfluxDB store writes with `precision=ms` and reads with
 *   `epoch=ms`, so a time with a fraction of a millisecond is refused by both.
 * - Series come back in an order of the store's choosing; only the order within a series and of
 *   readings is part of the contract.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import type { FieldValue, Point, Store } from '../../../core/store/store.js'

export interface StoreUnderTest {
  /** A ready store on storage of its own, empty. */
  open(): Promise<Store>
  /** Closes `store` and opens another on the same storage, as a restarted process would. */
  reopen(store: Store): Promise<Store>
  /** Releases everything `open` created. */
  release(): Promise<void>
}

const t0 = Date.UTC(2026, 2, 1, 8, 0, 0, 123)
const hour = 3_600_000
const everything = { from: t0 - 24 * hour, to: t0 + 24 * hour, fields: [] as string[], limit: 10_000 }

function bin(time: number, fields: Record<string, FieldValue>, device = 'bin-1', extraTags: Record<string, string> = {}): Point {
  return { measurement: 'waste_container', tags: { tenant: 'city', site: 'north', device, ...extraTags }, fields, time }
}

export function storeContract(implementation: string, makeSubject: () => StoreUnderTest): void {
  describe(`Store contract: ${implementation}`, () => {
    const subject = makeSubject()
    const opened: Store[] = []
    const open = async () => {
      const store = await subject.open()
      opened.push(store)
      return store
    }
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()))
    })
    afterAll(() => subject.release())

    it('ensureReady should be safe to repeat and ping should answer', async () => {
      const store = await open()
      await store.ensureReady()
      await store.ensureReady()
      expect(await store.ping()).toBe(true)
    })

    it('write then readings should round-trip every field type exactly', async () => {
      const store = await open()
      const fields = {
        level: 0.1234567890123,
        whole: 12,
        negative: -40.5,
        tiny: 1e-7,
        large: 123_456_789_012.25,
        zero: 0,
        text: 'zürich — 東京 🚮 "quoted" \\ back \'single\'',
        empty_text: '',
        number_like: '1.50',
        yes: true,
        no: false,
      }
      expect(await store.write([bin(t0, fields)])).toEqual({ written: 1, rejected: [] })
      const values = await store.readings({ measurements: ['waste_container'], tags: { device: 'bin-1' }, ...everything })
      expect(Object.fromEntries(values.map((v) => [v.field, v.value]))).toStrictEqual(fields)
      expect(values.every((v) => v.time === t0 && v.measurement === 'waste_container')).toBe(true)
    })

    it('write should overwrite the fields a point carries at the same series and time and keep the others', async () => {
      const store = await open()
      await store.write([bin(t0, { level: 0.2, status: 'ok' })])
      await store.write([bin(t0, { level: 0.3, lid_open: true })])
      await store.write([bin(t0, { level: 0.3, lid_open: true })])
      const values = await store.readings({ measurements: ['waste_container'], tags: { device: 'bin-1' }, ...everything })
      expect(values).toEqual([
        { measurement: 'waste_container', field: 'level', value: 0.3, time: t0 },
        { measurement: 'waste_container', field: 'lid_open', value: true, time: t0 },
        { measurement: 'waste_container', field: 'status', value: 'ok', time: t0 },
      ])
      const points = await store.points({ measurement: 'waste_container', tags: {}, ...everything })
      expect(points).toEqual([bin(t0, { level: 0.3, lid_open: true, status: 'ok' })])
    })

    it('write should key a series by its tag set, whatever the tag order, and ignore empty tag values', async () => {
      const store = await open()
      await store.write([
        { measurement: 'waste_container', tags: { device: 'bin-1', tenant: 'city' }, fields: { level: 0.1 }, time: t0 },
        { measurement: 'waste_container', tags: { tenant: 'city', device: 'bin-1', site: '' }, fields: { level: 0.2 }, time: t0 },
        { measurement: 'waste_container', tags: { tenant: 'city', device: 'bin-1', site: 'north' }, fields: { level: 0.9 }, time: t0 },
      ])
      const points = await store.points({ measurement: 'waste_container', tags: { device: 'bin-1' }, ...everything })
      expect(points).toHaveLength(2)
      expect(points).toEqual(
        expect.arrayContaining([
          { measurement: 'waste_container', tags: { device: 'bin-1', tenant: 'city' }, fields: { level: 0.2 }, time: t0 },
          { measurement: 'waste_container', tags: { device: 'bin-1', site: 'north', tenant: 'city' }, fields: { level: 0.9 }, time: t0 },
        ]),
      )
      // An empty filter value selects the series without that tag, as InfluxQL's `tag = ''` does.
      const withoutSite = await store.readings({ measurements: ['waste_container'], tags: { device: 'bin-1', site: '' }, ...everything })
      expect(withoutSite.map((v) => v.value)).toEqual([0.2])
    })

    it('write should refuse a point whose field type conflicts, alone, with a reason', async () => {
      const store = await open()
      await store.write([bin(t0 - 1, { level: 0.5 })])
      const conflicting = bin(t0 + 1, { level: 'full', newcomer: 1 })
      const batch = [bin(t0, { level: 0.1 }), conflicting, bin(t0 + 2, { level: 0.3, status: 'ok' }), bin(t0 + 3, { status: 7 })]
      const outcome = await store.write(batch)

      expect(outcome.written).toBe(2)
      expect(outcome.rejected.map((r) => r.point)).toEqual([conflicting, batch[3]])
      expect(outcome.rejected[0]?.reason).toBe('field type conflict: input field "level" on measurement "waste_container" is type string, already exists as type float')
      expect(outcome.rejected[1]?.reason).toBe('field type conflict: input field "status" on measurement "waste_container" is type float, already exists as type string')
      const values = await store.readings({ measurements: ['waste_container'], tags: {}, ...everything })
      expect(values.map((v) => `${v.field}@${v.time - t0}=${String(v.value)}`)).toEqual(['level@-1=0.5', 'level@0=0.1', 'level@2=0.3', 'status@2=ok'])
      // The refused point registered none of its fields: `newcomer` may still become a boolean.
      expect(await store.write([bin(t0 + 4, { newcomer: true })])).toEqual({ written: 1, rejected: [] })
    })

    it('write should refuse points without fields, with non-finite numbers or fractional milliseconds, and write the rest', async () => {
      const store = await open()
      const bad = [bin(t0, {}), bin(t0 + 1, { level: Number.NaN }), bin(t0 + 2, { level: Number.POSITIVE_INFINITY }), bin(t0 + 3.5, { level: 0.1 })]
      const outcome = await store.write([...bad, bin(t0 + 4, { level: 0.4 })])
      expect(outcome.written).toBe(1)
      expect(outcome.rejected.map((r) => r.point)).toEqual(bad)
      expect(outcome.rejected.every((r) => r.reason.length > 0)).toBe(true)
      const values = await store.readings({ measurements: ['waste_container'], tags: {}, ...everything })
      expect(values.map((v) => v.time - t0)).toEqual([4])
    })

    it('readings should include the start of the range and exclude its end', async () => {
      const store = await open()
      await store.write([-1, 0, 1, 998, 999, 1000].map((ms) => bin(t0 + ms, { level: ms })))
      const values = await store.readings({ measurements: ['waste_container'], tags: {}, from: t0, to: t0 + 999, fields: [], limit: 100 })
      expect(values.map((v) => v.value)).toEqual([0, 1, 998])
      expect(await store.readings({ measurements: ['waste_container'], tags: {}, from: t0, to: t0, fields: [], limit: 100 })).toEqual([])
      expect(await store.readings({ measurements: ['waste_container'], tags: {}, from: t0 + 5, to: t0, fields: [], limit: 100 })).toEqual([])
    })

    it('readings should match every tag filter exactly', async () => {
      const store = await open()
      await store.write([
        bin(t0, { level: 1 }, 'bin-1'),
        bin(t0, { level: 2 }, 'bin-2'),
        bin(t0, { level: 3 }, 'bin-1', { tenant: 'othercity' }),
        bin(t0, { level: 4 }, 'bin-1', { fraction: 'glass' }),
        bin(t0, { level: 5 }, 'bin-10'),
        bin(t0, { level: 6 }, 'BIN-1'),
      ])
      const levels = async (tags: Record<string, string>) =>
        (await store.readings({ measurements: ['waste_container'], tags, ...everything })).map((v) => v.value).sort()
      expect(await levels({ device: 'bin-1', tenant: 'city' })).toEqual([1, 4])
      expect(await levels({ device: 'bin-1', fraction: 'glass' })).toEqual([4])
      expect(await levels({ tenant: 'othercity' })).toEqual([3])
      expect(await levels({ device: 'bin-' })).toEqual([])
      expect(await levels({ device: 'bin-1', fraction: 'paper' })).toEqual([])
      expect(await levels({})).toEqual([1, 2, 3, 4, 5, 6])
    })

    it('readings should return only the asked fields and measurements, and nothing for unknown ones', async () => {
      const store = await open()
      await store.write([
        bin(t0, { level: 0.5, status: 'ok', temperature_c: 20 }),
        { measurement: 'device_health', tags: { tenant: 'city', device: 'bin-1' }, fields: { battery_level: 0.9 }, time: t0 + 1 },
      ])
      const read = (measurements: string[], fields: string[]) => store.readings({ measurements, tags: { device: 'bin-1' }, ...everything, fields })
      expect((await read(['waste_container'], ['level', 'status'])).map((v) => v.field)).toEqual(['level', 'status'])
      expect((await read(['waste_container', 'device_health'], ['battery_level', 'level'])).map((v) => v.field)).toEqual(['level', 'battery_level'])
      expect((await read(['device_health'], [])).map((v) => v.value)).toEqual([0.9])
      expect(await read(['waste_container'], ['no_such_field'])).toEqual([])
      expect(await read(['no_such_measurement'], [])).toEqual([])
      expect(await read([], [])).toEqual([])
    })

    it('readings should return at most limit values per field across series, oldest first, then by measurement and field', async () => {
      const store = await open()
      await store.write([
        ...[0, 2, 4, 6].map((s) => bin(t0 + s * 1000, { level: s, status: `s${s}` }, 'bin-1')),
        ...[1, 3, 5].map((s) => bin(t0 + s * 1000, { level: s }, 'bin-2')),
        { measurement: 'device_health', tags: { tenant: 'city', device: 'bin-1' }, fields: { battery_level: 0.9 }, time: t0 },
      ])
      const values = await store.readings({ measurements: ['waste_container', 'device_health'], tags: { tenant: 'city' }, ...everything, limit: 3 })
      expect(values.map((v) => `${v.measurement}.${v.field}@${(v.time - t0) / 1000}`)).toEqual([
        'device_health.battery_level@0',
        'waste_container.level@0',
        'waste_container.status@0',
        'waste_container.level@1',
        'waste_container.level@2',
        'waste_container.status@2',
        'waste_container.status@4',
      ])
    })

    it('readings and points should refuse a limit that is not a positive integer', async () => {
      const store = await open()
      await expect(store.readings({ measurements: ['waste_container'], tags: {}, ...everything, limit: 0 })).rejects.toThrow(RangeError)
      await expect(store.points({ measurement: 'waste_container', tags: {}, ...everything, limit: 1.5 })).rejects.toThrow(RangeError)
    })

    it('points should return whole points with their tags, oldest first within each series, at most limit per series', async () => {
      const store = await open()
      const glass = { tenant: 'city', site: 'rc-1', interval: 'day', fraction: 'glass' }
      const paper = { ...glass, fraction: 'paper' }
      const rollup = (tags: Record<string, string>, day: number, fields: Record<string, FieldValue>): Point => ({ measurement: 'material_flow_rollup', tags, fields, time: t0 + day * 24 * hour })
      await store.write([
        rollup(glass, 2, { mass_kg: 120, weighings: 2 }),
        rollup(glass, 0, { mass_kg: 100, weighings: 1 }),
        rollup(glass, 1, { weighings: 0 }),
        rollup(glass, 3, { mass_kg: 5, weighings: 1 }),
        rollup(paper, 1, { mass_kg: 80, note: 'late' }),
        rollup({ ...glass, tenant: 'othercity' }, 1, { mass_kg: 999 }),
        rollup(glass, -1, { mass_kg: 1 }),
      ])
      const points = await store.points({ measurement: 'material_flow_rollup', tags: { tenant: 'city', interval: 'day' }, from: t0, to: t0 + 10 * 24 * hour, limit: 3 })
      const series = (fraction: string) => points.filter((p) => p.tags.fraction === fraction)
      expect(series('glass')).toEqual([rollup(glass, 0, { mass_kg: 100, weighings: 1 }), rollup(glass, 1, { weighings: 0 }), rollup(glass, 2, { mass_kg: 120, weighings: 2 })])
      expect(series('paper')).toEqual([rollup(paper, 1, { mass_kg: 80, note: 'late' })])
      expect(points).toHaveLength(4)
    })

    it('points should return nothing for unknown measurements, unmatched tags and empty ranges', async () => {
      const store = await open()
      expect(await store.points({ measurement: 'waste_container', tags: {}, ...everything })).toEqual([])
      await store.write([bin(t0, { level: 0.5 })])
      expect(await store.points({ measurement: 'nothing_here', tags: {}, ...everything })).toEqual([])
      expect(await store.points({ measurement: 'waste_container', tags: { device: 'bin-2' }, ...everything })).toEqual([])
      expect(await store.points({ measurement: 'waste_container', tags: {}, from: t0 + 1, to: t0 + hour, limit: 10 })).toEqual([])
      expect(await store.points({ measurement: 'waste_container', tags: {}, from: t0, to: t0, limit: 10 })).toEqual([])
    })

    it('latest should return the newest value of each field, with its own time, across the selected series', async () => {
      const store = await open()
      await store.write([
        bin(t0, { level: 0.1, temperature_c: 20, status: 'ok' }),
        bin(t0 + 1000, { level: 0.2, temperature_c: 21 }),
        bin(t0 + 2000, { level: 0.3 }),
        bin(t0 + 1500, { temperature_c: 25 }, 'bin-1', { fraction: 'glass' }),
        bin(t0 + 9000, { level: 0.9, status: 'burning' }, 'bin-2'),
        { measurement: 'device_health', tags: { tenant: 'city', device: 'bin-1' }, fields: { battery_level: 0.8 }, time: t0 + 500 },
        // A forecast-like point in the future is still the newest.
        { measurement: 'device_health', tags: { tenant: 'city', device: 'bin-1' }, fields: { rssi_dbm: -70 }, time: Date.now() + 24 * hour },
      ])
      const latest = await store.latest({ measurements: ['waste_container', 'device_health'], tags: { device: 'bin-1' } })
      expect(latest.map((v) => ({ ...v, time: v.field === 'rssi_dbm' ? 'future' : v.time - t0 }))).toEqual([
        { measurement: 'device_health', field: 'battery_level', value: 0.8, time: 500 },
        { measurement: 'device_health', field: 'rssi_dbm', value: -70, time: 'future' },
        { measurement: 'waste_container', field: 'level', value: 0.3, time: 2000 },
        { measurement: 'waste_container', field: 'status', value: 'ok', time: 0 },
        { measurement: 'waste_container', field: 'temperature_c', value: 25, time: 1500 },
      ])
      expect(await store.latest({ measurements: ['waste_container'], tags: { device: 'nobody' } })).toEqual([])
      expect(await store.latest({ measurements: ['nothing_here'], tags: {} })).toEqual([])
    })

    it('hostile tag values should be stored and matched exactly, and never match another series', async () => {
      const store = await open()
      const hostile = [
        "x' OR '1'='1",
        '"; DROP TABLE value; --',
        "'; DROP DATABASE x; --",
        'a\\b',
        '/.*/',
        '.*',
        'bin-1|bin-2',
        '%',
        '_',
        'SELECT * FROM series',
        'a,b=c d',
        "it's",
        'zürich — 東京 🚮',
        'bin-1 ',
      ]
      await store.write([bin(t0, { level: -1 }, 'bin-1'), ...hostile.map((device, i) => bin(t0, { level: i }, device))])

      for (const [i, device] of hostile.entries()) {
        const readings = await store.readings({ measurements: ['waste_container'], tags: { device }, ...everything })
        expect(readings.map((v) => v.value), device).toEqual([i])
        const points = await store.points({ measurement: 'waste_container', tags: { device }, ...everything })
        expect(points.map((p) => p.tags.device), device).toEqual([device])
        expect((await store.latest({ measurements: ['waste_container'], tags: { device } })).map((v) => v.value), device).toEqual([i])
      }
      const neverStored = ["x' OR device =~ /.*/ --", '\\', "\\'", "bin-1' OR '1'='1", '*', 'BIN-1']
      for (const device of neverStored) {
        expect(await store.readings({ measurements: ['waste_container'], tags: { device }, ...everything }), device).toEqual([])
        expect(await store.points({ measurement: 'waste_container', tags: { device }, ...everything }), device).toEqual([])
        expect(await store.latest({ measurements: ['waste_container'], tags: { device } }), device).toEqual([])
        expect(await store.readings({ measurements: ['waste_container'], tags: { [device]: 'bin-1' }, ...everything }), device).toEqual([])
        expect(await store.readings({ measurements: [device], tags: {}, ...everything }), device).toEqual([])
        expect(await store.readings({ measurements: ['waste_container'], tags: {}, ...everything, fields: [device] }), device).toEqual([])
      }
      const all = await store.readings({ measurements: ['waste_container'], tags: {}, ...everything })
      expect(all).toHaveLength(hostile.length + 1)
    })

    it('hostile measurement, tag key and field names should round-trip', async () => {
      const store = await open()
      const measurement = 'm,1 x=y"\'/.*/'
      const tags = { 'tag key,= "\'': 'a b,c=d\'"\\x', device: 'bin-1' }
      const field = 'f ,=k"\'\\x'
      await store.write([{ measurement, tags, fields: { [field]: 1.5, note: 'say "hi"' }, time: t0 }])
      expect(await store.readings({ measurements: [measurement], tags, ...everything })).toEqual([
        { measurement, field, value: 1.5, time: t0 },
        { measurement, field: 'note', value: 'say "hi"', time: t0 },
      ])
      expect(await store.points({ measurement, tags: { 'tag key,= "\'': 'a b,c=d\'"\\x' }, ...everything })).toEqual([{ measurement, tags, fields: { [field]: 1.5, note: 'say "hi"' }, time: t0 }])
      expect(await store.latest({ measurements: [measurement], tags })).toHaveLength(2)
    })

    it('an empty store should answer every query with nothing', async () => {
      const store = await open()
      expect(await store.readings({ measurements: ['waste_container'], tags: { device: 'bin-1' }, ...everything })).toEqual([])
      expect(await store.points({ measurement: 'waste_container', tags: {}, ...everything })).toEqual([])
      expect(await store.latest({ measurements: ['waste_container'], tags: {} })).toEqual([])
    })

    it('what was written should still be there for a new connection after close', async () => {
      const first = await open()
      await first.write([bin(t0, { level: 0.5, status: 'ok' }), bin(t0 + 1, { level: 0.6 })])
      const second = await subject.reopen(first)
      opened.push(second)
      const values = await second.readings({ measurements: ['waste_container'], tags: { device: 'bin-1' }, ...everything })
      expect(values.map((v) => `${v.field}=${String(v.value)}`)).toEqual(['level=0.5', 'status=ok', 'level=0.6'])
      // The stored field types survive too.
      expect((await second.write([bin(t0 + 2, { level: 'high' })])).rejected).toHaveLength(1)
    })

    it('close should make ping false and further calls fail as shutting down', async () => {
      const store = await open()
      await store.close()
      expect(await store.ping()).toBe(false)
      await expect(store.write([bin(t0, { level: 1 })])).rejects.toMatchObject({ code: 'SHUTTING_DOWN', canRetry: true })
      await store.close()
    })
  })
}
