import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PlatformError } from '../errors.js'
import { factorSet, type FactorSet } from './factor-set.js'

const builtInDir = join(fileURLToPath(new URL('.', import.meta.url)), 'sets')

/**
 * The factor sets the platform knows: the built-in ones and any `<version>.json` in `extraDir`.
 * Each file is validated; a broken one stops the start rather than computing with it.
 */
export function loadFactorSets(extraDir?: string): ReadonlyMap<string, FactorSet> {
  const sets = new Map<string, FactorSet>()
  for (const dir of extraDir ? [builtInDir, extraDir] : [builtInDir]) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const path = join(dir, file)
      const parsed = factorSet.safeParse(JSON.parse(readFileSync(path, 'utf8')))
      if (!parsed.success) {
        throw new PlatformError('CONFIG_INVALID', `factor set ${path} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
      }
      sets.set(parsed.data.version, Object.freeze(parsed.data))
    }
  }
  return sets
}

/** The newest version by its `YYYY.N` number. */
export function newestVersion(sets: ReadonlyMap<string, FactorSet>): string {
  const versions = [...sets.keys()].sort((a, b) => {
    const [ya, na] = a.split('.').map(Number) as [number, number]
    const [yb, nb] = b.split('.').map(Number) as [number, number]
    return ya - yb || na - nb
  })
  const newest = versions.at(-1)
  if (newest === undefined) throw new PlatformError('CONFIG_INVALID', 'no emission factor set is available')
  return newest
}
