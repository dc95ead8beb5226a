import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import type { Started } from '../../cli/components.js'
import { platformStarters, startBanner } from '../../cli/start.js'
import { loadConfig } from '../../core/config.js'
import { stateDirs } from '../support/circular-process.js'

const dirs = stateDirs()
afterAll(() => dirs.cleanup())
const component = (name: string, address?: string, note?: string): Started => ({ name, ...(address ? { address } : {}), ...(note ? { note } : {}), stop: async () => undefined })

describe('startBanner', () => {
  test('should say where everything listens on the embedded defaults, and how to connect a device on the broker\'s port', () => {
    const stateDir = dirs.make()
    const banner = startBanner(loadConfig({ CIRCULAR_STATE_DIR: stateDir }), [component('broker', 'mqtt://127.0.0.1:1884'), component('api', 'http://127.0.0.1:8080')])
    expect(banner.split('\n')).toEqual([
      '',
      'circular is running',
      '  MQTT broker  mqtt://127.0.0.1:1884',
      '  HTTP API     http://127.0.0.1:8080  (OpenAPI at /openapi.json)',
      '  live view    http://127.0.0.1:8080/',
      `  bus          embedded (${stateDir}/bus.sqlite)`,
      `  store        embedded (${stateDir}/store.sqlite)`,
      '',
      'Connect a device:',
      '  npx circular devices add --id bin-1 --tenant my-city --site depot-1 --kind waste_container --lat 51.2 --lon 4.4',
      "  mosquitto_pub -p 1884 -i bin-1 -u bin-1 -P '<secret printed above>' -q 1 -t devices/bin-1/senml \\",
      `    -m '[{"bn":"urn:dev:bin-1:","n":"fillingLevel","u":"/","v":0.42}]'`,
      '',
    ])
  })

  test('should name Kafka and InfluxDB when configured, list the components\' notes, and show the demo city', () => {
    const config = loadConfig({ CIRCULAR_STATE_DIR: dirs.make(), KAFKA_BROKERS: 'k1:9092,k2:9092', INFLUX_URL: 'http://influx:8086/', INFLUX_DB: 'city' })
    const banner = startBanner(config, [
      component('broker', 'mqtt://127.0.0.1:1883', 'MQTT also at mqtts://127.0.0.1:8883'),
      component('api', 'http://127.0.0.1:8080', 'first start: a platform admin API key is in x'),
      component('demo city', 'tenant demo-city, 16 devices'),
    ])
    const lines = banner.split('\n')
    expect(lines).toContain('  bus          Kafka k1:9092,k2:9092')
    expect(lines).toContain('  store        InfluxDB http://influx:8086 db city')
    expect(lines).toContain('  demo city    tenant demo-city, 16 devices')
    expect(lines).toContain('  live view    http://127.0.0.1:8080/?tenant=demo-city')
    expect(lines.filter((l) => l.startsWith('  note: '))).toEqual(['  note: MQTT also at mqtts://127.0.0.1:8883', '  note: first start: a platform admin API key is in x'])
  })

  test('the banner should name the file with the local admin key, never print the key', () => {
    const stateDir = dirs.make()
    writeFileSync(join(stateDir, 'admin-key'), 'ck_0123456789abcdef_secret\n')
    const banner = startBanner(loadConfig({ CIRCULAR_STATE_DIR: stateDir }), [component('api', 'http://127.0.0.1:8080'), component('demo city', 'tenant demo-city, 16 devices')])
    expect(banner).toContain(`  live view    http://127.0.0.1:8080/?tenant=demo-city  (admin key in ${stateDir}/admin-key; the page asks for it once)\n`)
    expect(banner).not.toContain('ck_0123456789abcdef')
  })

  test('components that are not running should say so', () => {
    const banner = startBanner(loadConfig({ CIRCULAR_STATE_DIR: dirs.make() }), [])
    expect(banner).toContain('  MQTT broker  (not running)\n')
    expect(banner).toContain('  HTTP API     (not running)  (OpenAPI at /openapi.json)\n')
  })
})

describe('platformStarters', () => {
  test('the broker should start after every processor and the API, so that nothing arrives that cannot be handled yet', () => {
    const names = platformStarters.map((s) => s.name)
    expect(names).toEqual([
      'startNormaliserComponent',
      'startFootprintComponent',
      'startSinkComponent',
      'startAlertsComponent',
      'startNotifierComponent',
      'startApiComponent',
      'startBrokerComponent',
      'startHealthComponent',
    ])
  })
})
