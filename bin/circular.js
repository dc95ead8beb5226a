#!/usr/bin/env node
// Entry point of the `circular` command. In a development checkout (tsx installed) it runs the
// TypeScript sources, compiled by tsx as each module loads, so there is no build to go stale;
// in a deployment (`npm run build`, then `npm ci --omit=dev`) it runs the compiled JavaScript in
// dist/. CIRCULAR_USE_BUILD=1 runs the build even where tsx is installed.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'

const compiled = new URL('../dist/cli/main.js', import.meta.url)
const hasTsx = (() => {
  try {
    createRequire(import.meta.url).resolve('tsx/esm/api')
    return true
  } catch {
    return false
  }
})()
const useBuild = process.env.CIRCULAR_USE_BUILD === '1' || !hasTsx

let main
if (useBuild) {
  if (!existsSync(compiled)) {
    console.error('circular: no compiled build in dist/ (run `npm run build`) and no tsx to run the sources')
    process.exit(1)
  }
  ;({ main } = await import(compiled.href))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../cli/main.ts'))
}
await main(process.argv)
