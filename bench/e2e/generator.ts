/**
 * A load generator process: simulates a share of the fleet, one MQTT connection per device
 * (mqtt.js, MQTT 3.1.1, QoS 1), and follows the orchestrator's phases. It runs apart from the
 * pipeline so that its own CPU cost is measured separately and does not hide in the broker's.
 */
import { performance } from 'node:perf_hooks'
import mqtt, { type MqttClient } from 'mqtt'
import { Histogram } from '../stats.js'
import type { BenchDevice } from './devices.js'
import type { FromGenerator, ToGenerator } from './generator-protocol.js'
import { buildPayload, DeviceClock, readingsPerMessage, telemetryTopic, type PayloadMode } from './payloads.js'

interface Simulated {
  readonly device: BenchDevice
  readonly topic: string
  readonly client: MqttClient
  readonly clock: DeviceClock
  inFlight: number
  seq: number
}

interface Phase {
  readonly id: number
  readonly mode: PayloadMode
  readonly rate: number | null
  readonly startedAt: number
  readonly endsAt: number
  readonly maxMessages: number
  sent: number
  deficit: number
  ended: boolean
  readonly ackLatency: Histogram
  timer?: NodeJS.Timeout
}

const send = (message: FromGenerator): void => {
  process.send!(message)
}

let fleet: Simulated[] = []
let window = 1
let allowance = Infinity
let published = 0
let acked = 0
let failed = 0
let phase: Phase | undefined
let cursor = 0

process.on('message', (message: ToGenerator) => {
  switch (message.type) {
    case 'connect':
      void connect(message).catch((error: unknown) => send({ type: 'error', message: `connect: ${(error as Error).message}` }))
      break
    case 'phase':
      startPhase(message)
      break
    case 'allow':
      allowance = message.upTo
      if (phase && phase.rate === null) for (const s of fleet) pump(s)
      break
    case 'disconnect':
      void disconnect()
      break
  }
})
// A normal exit, so that a --cpu-prof profile gets written.
process.on('disconnect', () => process.exit(0))
process.on('SIGTERM', () => process.exit(0))

async function connect(message: Extract<ToGenerator, { type: 'connect' }>): Promise<void> {
  const started = performance.now()
  window = message.window
  published = acked = failed = 0
  allowance = Infinity
  // Connect in small groups: a broker verifying secrets (scrypt) should not see one huge burst.
  const clients: Simulated[] = []
  for (let i = 0; i < message.devices.length; i += 20) {
    const group = message.devices.slice(i, i + 20)
    clients.push(
      ...(await Promise.all(
        group.map(async (device) => {
          const client = await mqtt.connectAsync(message.url, {
            clientId: device.id,
            protocolVersion: 4,
            clean: true,
            // A dropped connection is a failure of the run, not something to paper over.
            reconnectPeriod: 0,
            keepalive: 60,
            connectTimeout: 30_000,
            ...(message.credentials ? { username: device.id, password: device.secret } : {}),
          })
          client.on('error', (error) => send({ type: 'error', message: `${device.id}: ${error.message}` }))
          client.on('close', () => {
            if (fleet.length > 0 && !closing) send({ type: 'error', message: `${device.id}: connection closed` })
          })
          return { device, topic: telemetryTopic(device.id), client, clock: new DeviceClock(), inFlight: 0, seq: 0 }
        }),
      )),
    )
  }
  fleet = clients
  cursor = 0
  closing = false
  send({ type: 'connected', connectMs: Math.round(performance.now() - started) })
  progressTimer = setInterval(() => send({ type: 'progress', published, acked }), 100)
}

let closing = false
let progressTimer: NodeJS.Timeout | undefined

function startPhase(message: Extract<ToGenerator, { type: 'phase' }>): void {
  const now = performance.now()
  phase = {
    id: message.phase,
    mode: message.mode,
    rate: message.rate,
    startedAt: now,
    endsAt: now + message.durationMs,
    maxMessages: message.maxMessages ?? Infinity,
    sent: 0,
    deficit: 0,
    ended: false,
    ackLatency: new Histogram(),
  }
  const current = phase
  if (current.rate === null) {
    for (const s of fleet) pump(s)
    current.timer = setInterval(() => {
      if (performance.now() >= current.endsAt) endPhase(current)
    }, 20)
  } else {
    const rate = current.rate
    current.timer = setInterval(() => {
      const t = performance.now()
      const elapsed = Math.min(t, current.endsAt) - current.startedAt
      const due = Math.min(current.maxMessages, Math.floor((rate * elapsed) / 1000)) - current.sent
      if (due > 0) sendDue(current, due)
      if (t >= current.endsAt || current.sent >= current.maxMessages) {
        current.deficit = Math.max(0, Math.min(current.maxMessages, Math.floor((rate * (current.endsAt - current.startedAt)) / 1000)) - current.sent)
        endPhase(current)
      }
    }, 5)
  }
}

/** Fixed rate: hands the due messages to devices round-robin, skipping those with a full window. */
function sendDue(current: Phase, due: number): void {
  let idle = 0
  while (due > 0 && idle < fleet.length && published < allowance) {
    const s = fleet[cursor]!
    cursor = (cursor + 1) % fleet.length
    if (s.inFlight >= window) {
      idle++
      continue
    }
    idle = 0
    publish(s, current)
    due--
  }
}

/** As fast as accepted: keeps each device's window full while the phase and the allowance last. */
function pump(s: Simulated): void {
  const current = phase
  if (!current || current.ended || current.rate !== null) return
  while (s.inFlight < window && published < allowance && current.sent < current.maxMessages && performance.now() < current.endsAt) publish(s, current)
}

function publish(s: Simulated, current: Phase): void {
  const readings = readingsPerMessage[current.mode]
  const payload = buildPayload(current.mode, s.device.id, s.clock.take(readings), s.seq)
  s.seq += readings
  s.inFlight++
  current.sent++
  published++
  const sentAt = performance.now()
  s.client.publish(s.topic, payload, { qos: 1 }, (error) => {
    s.inFlight--
    if (error) {
      failed++
      send({ type: 'error', message: `${s.device.id}: publish failed: ${error.message}` })
      return
    }
    acked++
    current.ackLatency.record(performance.now() - sentAt)
    if (current.rate === null && !current.ended) pump(s)
    else if (current.ended) maybeReport(current)
  })
}

function endPhase(current: Phase): void {
  if (current.ended) return
  current.ended = true
  clearInterval(current.timer)
  maybeReport(current)
}

/** Reports a phase once every message it sent has its PUBACK (or failed). */
function maybeReport(current: Phase): void {
  if (!current.ended || fleet.some((s) => s.inFlight > 0) || phase !== current) return
  phase = undefined
  send({ type: 'phase-done', phase: current.id, published, acked, deficit: current.deficit, ackLatency: current.ackLatency.toJSON() })
}

async function disconnect(): Promise<void> {
  closing = true
  clearInterval(progressTimer)
  await Promise.all(fleet.map((s) => s.client.endAsync()))
  const done = { published, acked, failed }
  fleet = []
  send({ type: 'disconnected', ...done })
}
