import { describe, expect, test } from 'vitest'
import { number } from '../../../simulator/encode/measure.js'
import { senmlPack } from '../../../simulator/encode/senml.js'
import { envelope, measures } from './fixture.js'

describe('senmlPack', () => {
  test('should put the device\'s base name and the time in seconds on the first record, and each measure\'s own name and unit on its record', () => {
    const message = senmlPack(envelope, measures)
    expect(message.topic).toBe('devices/bin-7/senml')
    expect(JSON.parse(message.payload)).toEqual([
      { bn: 'urn:dev:bin-7:', bt: 1772439300, n: 'fillingLevel', u: '/', v: 0.42 },
      { n: 'status', vs: 'ok' },
      { n: 'battery', u: '%EL', v: 87 },
    ])
  })

  test('a register should travel as a sum, and a time off the whole second as a fractional base time', () => {
    const register = number('totalActiveEnergyImport', 1.5, 'KWH', { u: 'W', s: 5_400_000 })
    expect(JSON.parse(senmlPack({ ...envelope, time: envelope.time + 250 }, [register]).payload)).toEqual([{ bn: 'urn:dev:bin-7:', bt: 1772439300.25, n: 'totalActiveEnergyImport', u: 'W', s: 5_400_000 }])
  })
})
