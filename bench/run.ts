/**
 * `npm run bench`: the end-to-end benchmark (or `--micro`, `--smoke`, `--profile`; `--embedded`
 * for the platform's embedded defaults in one process). Writes a JSON
 * report and a markdown summary to bench/results/ and exits non-zero when any hop's counters do
 * not reconcile or a component failed.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runEmbedded } from './e2e/embedded.js'
import { runEndToEnd } from './e2e/orchestrator.js'
import { runMicro } from './micro.js'
import { connectStormMarkdown, runConnectStorm } from './connect-storm.js'
import { recoveryMarkdown, runRecovery } from './recovery.js'
import { parseOptions, usage } from './options.js'
import { buildReport } from './report/report.js'
import { renderMarkdown } from './report/markdown.js'
import { summariseProfiles } from './report/profiles.js'

const log = (line: string): void => console.log(`[bench] ${line}`)

async function main(): Promise<number> {
  let options
  try {
    options = parseOptions(process.argv.slice(2))
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${usage}`)
    return 2
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  mkdirSync(options.outDir, { recursive: true })
  if (options.kind === 'recovery') {
    const recovery = await runRecovery(log, { devices: options.devices, ratePerDevice: 20 })
    const base = join(options.outDir, `recovery-${stamp}`)
    writeFileSync(`${base}.json`, JSON.stringify(recovery, null, 2) + '\n')
    writeFileSync(`${base}.md`, recoveryMarkdown(recovery))
    console.log('\n' + recoveryMarkdown(recovery))
    log(`wrote ${base}.json and ${base}.md`)
    return recovery.results.every((r) => Object.values(r.progressAfterSeconds).every((v) => v !== null)) ? 0 : 1
  }
  if (options.kind === 'connect-storm') {
    const storm = await runConnectStorm(log, { devices: options.devices, scryptDevices: Math.min(options.devices, 1000), wrongSecrets: 2000, concurrency: 100 })
    const base = join(options.outDir, `connect-storm-${stamp}`)
    writeFileSync(`${base}.json`, JSON.stringify(storm, null, 2) + '\n')
    writeFileSync(`${base}.md`, connectStormMarkdown(storm))
    console.log('\n' + connectStormMarkdown(storm))
    log(`wrote ${base}.json and ${base}.md`)
    return storm.paths.every((p) => p.refusedLegitimate === 0) ? 0 : 1
  }
  if (options.kind === 'micro') {
    const micro = await runMicro(log)
    const file = join(options.outDir, `micro-${stamp}.json`)
    writeFileSync(file, JSON.stringify(micro, null, 2) + '\n')
    log(`wrote ${file}`)
    return 0
  }
  const started = Date.now()
  const result = options.embedded ? await runEmbedded(options, log) : await runEndToEnd(options, log)
  const profiles = result.profileDir ? summariseProfiles(result.profileDir) : undefined
  const report = await buildReport(options, result, (Date.now() - started) / 1000, profiles)
  const prefix = [...(options.embedded ? ['embedded'] : []), ...(options.kind === 'full' ? [] : [options.kind])].map((p) => `${p}-`).join('')
  const base = join(options.outDir, `${prefix}${stamp}`)
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + '\n')
  const markdown = renderMarkdown(report)
  writeFileSync(`${base}.md`, markdown)
  console.log('\n' + markdown)
  log(`wrote ${base}.json and ${base}.md`)
  if (!report.ok) {
    console.error(`[bench] FAILED:\n  ${report.failures.join('\n  ')}`)
    return 1
  }
  return 0
}

process.exitCode = await main()
