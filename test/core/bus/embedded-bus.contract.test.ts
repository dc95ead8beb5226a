import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Bus } from '../../../core/bus/bus.js'
import { EmbeddedBus } from '../../../core/bus/embedded-bus.js'
import { testLogger } from '../../support/pipeline.js'
import { busContract } from './bus-contract.js'

busContract('EmbeddedBus on a SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'circular-embedded-bus-'))
  const paths = new Map<Bus, string>()
  let opened = 0

  const connect = (path: string) => {
    const bus = new EmbeddedBus({ path }, testLogger)
    paths.set(bus, path)
    return bus
  }

  return {
    namePrefix: 'contract',
    waitMs: 10_000,
    open: async () => connect(join(dir, `bus-${++opened}.sqlite`)),
    reopen: async (bus) => {
      await bus.close()
      return connect(paths.get(bus)!)
    },
    release: async () => rmSync(dir, { recursive: true, force: true }),
  }
})
