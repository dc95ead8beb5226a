import type { Report } from './report.js'

/** The report as a short markdown summary (also printed at the end of a run). */
export function renderMarkdown(r: Report): string {
  const sections = r.kind === 'smoke' ? [header(r), latency(r), reconciliation(r)] : [header(r), throughput(r), latency(r), cpu(r), memory(r), reconciliation(r), profiles(r)]
  if (r.failures.length > 0) sections.push(['## FAILURES', '', ...r.failures.map((f) => `- ${f}`)])
  return sections.map((lines) => lines.join('\n')).filter((text) => text !== '').join('\n\n') + '\n'
}

function header(r: Report): string[] {
  const m = r.machine
  const s = r.settings
  return [
    `# circular benchmark ${[...(s.platform === 'embedded' ? ['embedded'] : []), ...(r.kind === 'full' ? [] : [r.kind])].map((k) => `(${k}) `).join('')}— run ${r.runId}, ${r.finishedAt}`,
    '',
    `Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB, Linux ${m.kernel}. ${Object.entries(m.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    `Load: ${s.devicesPerPath} devices per path over ${s.generatorProcesses} generator process(es), MQTT ${s.mqttProtocol} QoS ${s.qos}, ` +
      `window ${s.windowPerConnection} per connection; max phase ${s.maxSeconds} s (first ${s.warmupSeconds} s not counted), latency phases ${s.rateSeconds} s with ${s.probeHz} probes/s polled every ${s.pollMs} ms. ` +
      (s.platform === 'embedded'
        ? `Platform: \`circular start\` in one process on its embedded bus and store (SQLite), no Kafka or InfluxDB; SINK_BATCH_MAX=${s.kafka.sinkBatchMax}, ${s.kafka.partitions} partitions. Run took ${r.durationSeconds} s.`
        : `KAFKA_LINGER_MS=${s.kafka.lingerMs}, KAFKA_BATCH_MAX=${s.kafka.kafkaBatchMax}, KAFKA_FETCH_MIN_BYTES=${s.kafka.fetchMinBytes}, KAFKA_FETCH_MAX_WAIT_MS=${s.kafka.fetchMaxWaitMs}, SINK_BATCH_MAX=${s.kafka.sinkBatchMax}, ${s.kafka.partitions} partitions. Mosquitto: ${s.mosquitto}. Run took ${r.durationSeconds} s.`),
    `Payloads: ${Object.entries(r.payloads)
      .map(([k, p]) => `${k} = ${p.format}, ${p.bytes} B, ${p.readingsPerMessage} reading(s)`)
      .join('; ')}.`,
  ]
}

function throughput(r: Report): string[] {
  return [
    '## Throughput (as fast as accepted, backlog-capped)',
    '',
    '| path | payload | stored readings/s | stored msgs/s | PUBACKed msgs/s | PUBACK p50 / p99 ms | drain s |',
    '|---|---|--:|--:|--:|--:|--:|',
    ...r.scenarios.map(
      (x) =>
        `| ${x.path} | ${x.payload} | ${x.max.storedReadingsPerSec} | ${x.max.storedMsgsPerSec} | ${x.max.ackedMsgsPerSec} | ${x.max.ackLatencyMs ? `${x.max.ackLatencyMs.p50} / ${x.max.ackLatencyMs.p99}` : '-'} | ${x.max.drainSeconds} |`,
    ),
    ...(r.settings.platform === 'embedded'
      ? []
      : [
          '',
          '`aedes-bare` is the same broker with authentication and ACL handing every publish to nothing: its "stored" figures are acknowledged readings.',
          '',
          '| payload | aedes end to end ÷ bare broker | ÷ Node-RED | ÷ best Mosquitto + bridge |',
          '|---|--:|--:|--:|',
          ...Object.entries(r.ratios).map(([mode, row]) => `| ${mode} | ${row['bare broker'] ?? '-'} | ${row['Node-RED'] ?? '-'} | ${row['Mosquitto + bridge'] ?? '-'} |`),
        ]),
  ]
}

function latency(r: Report): string[] {
  return [
    `## Publish → queryable in ${r.settings.platform === 'embedded' ? 'the embedded store' : 'InfluxDB'} (probes)`,
    '',
    '| path | payload | load | target readings/s | sent msgs/s | p50 ms | p95 ms | p99 ms | max ms | probes (missing) | not sent on time |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...r.scenarios.flatMap((x) =>
      x.rates.map(
        (p) =>
          `| ${x.path} | ${x.payload} | ${Math.round(p.fraction * 100)} % | ${p.targetReadingsPerSec} | ${p.achievedMsgsPerSec} | ${p.latencyMs?.p50 ?? '-'} | ${p.latencyMs?.p95 ?? '-'} | ${p.latencyMs?.p99 ?? '-'} | ${p.latencyMs?.max ?? '-'} | ${p.probes} (${p.probesMissing}) | ${p.deficit} |`,
      ),
    ),
  ]
}

function cpu(r: Report): string[] {
  const group = (name: string): string => (name.startsWith('bridge-') ? 'bridges' : name.startsWith('generator-') ? 'generators' : name)
  const columns = r.settings.platform === 'embedded' ? ['platform', 'generators', 'orchestrator', 'other', 'machine'] : ['broker', 'bare-broker', 'node-red', 'bridges', 'mosquitto', 'normaliser', 'store-sink', 'kafka', 'influxd', 'generators', 'orchestrator', 'other', 'machine']
  const rows = r.scenarios.map((x) => {
    const seconds = x.max.measuredSeconds || 1
    const cores: Record<string, number> = {}
    const micros: Record<string, number> = {}
    for (const [name, value] of Object.entries(x.max.cpuSeconds)) cores[group(name)] = (cores[group(name)] ?? 0) + value / seconds
    for (const [name, value] of Object.entries(x.max.cpuMicrosPerReading)) micros[group(name)] = (micros[group(name)] ?? 0) + value
    // Whatever else ran meanwhile: the machine, Kafka and InfluxDB are shared with other people's tests.
    const sum = (o: Record<string, number>): number => Object.entries(o).reduce((t, [k, v]) => (k === 'machine' ? t : t + v), 0)
    cores.other = Math.max(0, (cores.machine ?? 0) - sum(cores))
    micros.other = Math.max(0, (micros.machine ?? 0) - sum(micros))
    return `| ${x.path} | ${x.payload} | ${columns.map((c) => (cores[c] === undefined ? '-' : `${cores[c].toFixed(2)}; ${(micros[c] ?? 0).toFixed(1)}`)).join(' | ')} |`
  })
  return [
    '## CPU during the measured max window (cores busy; µs of CPU per stored reading)',
    '',
    `| path | payload | ${columns.join(' | ')} |`,
    `|---|---|${columns.map(() => '--:').join('|')}|`,
    ...rows,
  ]
}

function memory(r: Report): string[] {
  return [
    "## Peak memory (RSS sampled every 250 ms; VmHWM = the process's own peak, for Kafka and InfluxDB since they started)",
    '',
    '| process | peak RSS MiB | VmHWM MiB |',
    '|---|--:|--:|',
    ...Object.entries(r.peakMemory).map(([k, v]) => `| ${k} | ${v.peakRssMiB} | ${v.hwmMiB ?? '-'} |`),
  ]
}

function reconciliation(r: Report): string[] {
  return [
    `## Reconciliation (published = PUBACKs = raw records = readings records; stored = PUBACKs × readings per message; no dead letters${r.settings.platform === 'embedded' ? '; records from the platform\'s /metrics, stored readings counted in its store file' : ''})`,
    '',
    '| path | payload | published | PUBACKs | raw records | readings records | dead letters | stored readings | expected | ok |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|---|',
    ...r.scenarios.map((x) => {
      const c = x.reconciliation
      return `| ${x.path} | ${x.payload} | ${c.published} | ${c.acknowledged} | ${c.rawRecords} | ${c.readingsRecords} | ${c.deadLetters} | ${c.storedReadings} | ${c.expectedReadings} | ${c.ok ? 'yes' : `**NO**: ${c.differences.join('; ')}`} |`
    }),
  ]
}

function profiles(r: Report): string[] {
  if (!r.profiles || r.profiles.length === 0) return []
  const lines = ['## Where the time goes (--cpu-prof, whole process lifetime including start-up)', '']
  for (const p of r.profiles) {
    lines.push(`**${p.component}** (${p.totalSeconds} s sampled; self time by package: ${p.byPackage.slice(0, 7).map((b) => `${b.name} ${b.percent} %`).join(', ')})`, '')
    lines.push('| self % | function | where |', '|--:|---|---|')
    for (const f of p.top.slice(0, 10)) lines.push(`| ${f.percent} | ${f.name} | ${f.where} |`)
    lines.push('', '| inclusive % | project function | where |', '|--:|---|---|')
    for (const f of p.inclusive.slice(0, 8)) lines.push(`| ${f.percent} | ${f.name} | ${f.where} |`)
    lines.push('')
  }
  return lines
}
