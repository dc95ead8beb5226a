import type { CanonicalReading } from '../../models/reading.js'
import type { RuleName, RuleSettings } from '../../core/alerts/rule-settings.js'
import type { Observations, Verdict } from './state.js'

const minuteMs = 60_000

const hold: Verdict = { kind: 'hold' }
const clear: Verdict = { kind: 'clear' }

/** Folds the readings observed at one instant into what the device is known to be doing. */
export function observe(observations: Observations, readings: readonly CanonicalReading[], time: number, settings: RuleSettings): void {
  for (const r of readings) {
    if (r.measurement === 'waste_container' && r.field === 'filling_level' && typeof r.value === 'number') observations.fill = r.value
    else if (r.measurement === 'waste_container' && r.field === 'temperature_c' && typeof r.value === 'number') {
      observations.temperatureC = r.value
      observations.recentTemperatures.push([time, r.value])
    } else if (r.measurement === 'waste_container' && r.field === 'status' && typeof r.value === 'string') {
      observations.status = r.value
      // The status reports the lid too: `lidOpen` opens it, any other status says it is shut.
      if (r.value === 'lidOpen') observations.lidOpenSince ??= time
      else delete observations.lidOpenSince
    } else if (r.measurement === 'waste_container' && r.field === 'lid_open' && typeof r.value === 'boolean') {
      if (r.value) observations.lidOpenSince ??= time
      else delete observations.lidOpenSince
    } else if (r.field === 'battery_level' && typeof r.value === 'number') observations.battery = r.value
  }
  const windowStart = time - settings.fire.riseWithinMinutes * minuteMs
  observations.recentTemperatures = observations.recentTemperatures.filter(([t]) => t >= windowStart)
}

/** Evaluates one rule on what is known at `time`. */
export function evaluate(rule: RuleName, o: Observations, time: number, s: RuleSettings): Verdict {
  switch (rule) {
    case 'fill': {
      if (o.fill === undefined) return hold
      if (o.fill >= s.fill.threshold) return { kind: 'raise', value: o.fill, reason: `fill ${o.fill} at or above ${s.fill.threshold}` }
      return o.fill < s.fill.threshold - s.fill.hysteresis ? clear : hold
    }
    case 'fire': {
      if (o.status === 'burning') return { kind: 'raise', value: 'burning', reason: 'status burning' }
      const t = o.temperatureC
      if (t !== undefined && t >= s.fire.alarmC) return { kind: 'raise', value: t, reason: `temperature ${t} °C at or above ${s.fire.alarmC} °C` }
      const coolest = o.recentTemperatures.reduce((min, [, c]) => Math.min(min, c), Number.POSITIVE_INFINITY)
      if (t !== undefined && t - coolest >= s.fire.riseC) return { kind: 'raise', value: t, reason: `temperature rose ${t - coolest} °C within ${s.fire.riseWithinMinutes} min` }
      if (t === undefined && o.status === undefined) return hold
      return t === undefined || t < s.fire.alarmC - s.fire.hysteresisC ? clear : hold
    }
    case 'tamper': {
      if (o.status !== undefined && (s.tamper.statuses as readonly string[]).includes(o.status)) return { kind: 'raise', value: o.status, reason: `status ${o.status}` }
      if (o.lidOpenSince === undefined) return clear
      const openMinutes = (time - o.lidOpenSince) / minuteMs
      // Open, but not for long enough yet: emptying and filling open the lid too.
      return openMinutes >= s.tamper.lidOpenGraceMinutes ? { kind: 'raise', value: 'lidOpen', reason: `lid open for ${Math.round(openMinutes)} min` } : hold
    }
    case 'low_battery': {
      if (o.battery === undefined) return hold
      if (o.battery < s.low_battery.below) return { kind: 'raise', value: o.battery, reason: `battery ${o.battery} below ${s.low_battery.below}` }
      return o.battery >= s.low_battery.below + s.low_battery.hysteresis ? clear : hold
    }
    case 'silence':
      // Evaluated on a reading, which is itself the proof the device is not silent.
      return clear
    case 'offline':
      // Judged on the broker's status events and the clock (offlineVerdict), not on readings.
      return hold
    case 'energy_anomaly':
    case 'mass_balance':
      // Judged on complete hours and windows (energy-baseline.ts, mass-balance.ts), not on one instant.
      return hold
  }
}

/**
 * Folds a connection event of the device's broker into what is known of its sessions. The newest
 * session is the one that started last (its name ends with its start time): an online event of
 * an older one, or the end of an older one told late by a broker the device has left, changes
 * nothing; the end of a newer one whose start was never seen is the newest's end.
 */
export function observeConnection(o: Observations, event: { connection: string; reason: string; detail: string; session: string }, time: number): void {
  const startedAt = sessionStart(event.session) ?? time
  const newer = o.session === undefined || startedAt > o.session.startedAt
  if (event.connection === 'online') {
    if (newer) o.session = { name: event.session, startedAt }
    return
  }
  if (newer) o.session = { name: event.session, startedAt }
  if (o.session!.name === event.session) o.session!.ended = { at: time, reason: event.reason, detail: event.detail }
}

/** When a session started, from its name `<broker>:<client id>:<started at>`. */
function sessionStart(name: string): number | undefined {
  const started = Number(name.slice(name.lastIndexOf(':') + 1))
  return Number.isSafeInteger(started) ? started : undefined
}

/** Whether the device is offline past its grace as of `now`: its newest session ended, and not by its own DISCONNECT unless that counts. */
export function offlineVerdict(o: Observations, now: number, s: RuleSettings): Verdict {
  const ended = o.session?.ended
  if (ended === undefined) return o.session === undefined ? hold : clear
  if (ended.reason === 'disconnected' && !s.offline.onDisconnect) return clear
  const minutesOffline = (now - ended.at) / minuteMs
  if (minutesOffline < s.offline.graceMinutes) return hold
  return { kind: 'raise', value: 'offline', reason: `offline since ${new Date(ended.at).toISOString()}: ${ended.reason.replaceAll('_', ' ')} (${ended.detail})` }
}

/** When a device whose newest session ended will have been offline for its grace period. */
export function offlineDueAt(o: Observations, s: RuleSettings): number | undefined {
  const ended = o.session?.ended
  return ended === undefined ? undefined : ended.at + s.offline.graceMinutes * minuteMs
}

/** Whether the device has been silent too long as of `now` (wall clock); see `silence` settings. */
export function silenceVerdict(o: Observations, now: number, s: RuleSettings): Verdict {
  if (o.lastReceivedAt === undefined) return hold
  const silentMinutes = (now - o.lastReceivedAt) / minuteMs
  return silentMinutes >= s.silence.expectedIntervalMinutes * s.silence.missedIntervals ? { kind: 'raise', value: Math.round(silentMinutes), reason: `no reading for ${Math.round(silentMinutes)} min` } : hold
}

/** When a silence check is due for a device: the moment it will have missed too many intervals. */
export function silenceDueAt(o: Observations, s: RuleSettings): number | undefined {
  return o.lastReceivedAt === undefined ? undefined : o.lastReceivedAt + s.silence.expectedIntervalMinutes * s.silence.missedIntervals * minuteMs
}

/** When a lid seen open will have been open for its grace period (event time), if it is open. */
export function lidOpenDueAt(o: Observations, s: RuleSettings): number | undefined {
  return o.lidOpenSince === undefined ? undefined : o.lidOpenSince + s.tamper.lidOpenGraceMinutes * minuteMs
}
