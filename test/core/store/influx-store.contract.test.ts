import type { Config } from '../../../core/config.js'
import { InfluxStore } from '../../../core/store/influx-store.js'
import type { Store } from '../../../core/store/store.js'
import { isolatedConfig } from '../../support/pipeline.js'
import { storeContract } from './store-contract.js'
import { dropDatabase, silentLogger } from './test-database.js'

storeContract('InfluxStore on InfluxDB', () => {
  const { config, cleanup } = isolatedConfig()
  const settings = new Map<Store, Config['influx']>()
  let opened = 0

  const connect = async (influx: Config['influx']) => {
    const store = new InfluxStore(influx, silentLogger)
    settings.set(store, influx)
    await store.ensureReady()
    return store
  }

  return {
    // A database per test, named after the file's isolated one.
    open: () => connect({ ...config.influx, database: `${config.influx.database}_${++opened}` }),
    reopen: async (store) => {
      await store.close()
      return connect(settings.get(store) as Config['influx'])
    },
    release: async () => {
      const databases = new Set([...settings.values()].map((influx) => influx.database))
      await Promise.all([...databases].map(dropDatabase))
      cleanup()
    },
  }
})
