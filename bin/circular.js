#!/usr/bin/env node
// Entry point of the `circular` command. The sources are TypeScript; tsx compiles each
// module once at load time, so there is no build step to forget or to go stale.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../cli/main.ts')
await main(process.argv)
