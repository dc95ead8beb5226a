import type { AlertSubject } from '../../core/alerts/alert-event.js'
import type { RuleName } from '../../core/alerts/rule-settings.js'
import type { SeenMessages } from '../reading-identity.js'

// The alerts processor's state and verdict types, in one file that the rule modules import
// instead of each other.

/** What a rule's condition says at one instant: raise, clear, or neither (inside the hysteresis band, or nothing known). */
export type Verdict = { readonly kind: 'raise'; readonly value: number | string; readonly reason: string } | { readonly kind: 'clear' } | { readonly kind: 'hold' }

/** What the conditions remember of a device between readings. */
export interface Observations {
  fill?: number
  temperatureC?: number
  /** Temperatures within the longest rise window, oldest first, for the fast-rise condition. */
  recentTemperatures: [time: number, celsius: number][]
  status?: string
  /** When the lid was seen open and has not been seen closed since. */
  lidOpenSince?: number
  battery?: number
  /** When the newest reading reached the platform (wall clock), for the silence rule. */
  lastReceivedAt?: number
  /**
   * The device's newest MQTT session, from its broker's status events: an older session that ends
   * later (on a broker the device has left) changes nothing.
   */
  session?: SessionObservation
}

export interface SessionObservation {
  name: string
  startedAt: number
  /** Set once the session ended: when, how (`connection_lost`, …), and what happened. */
  ended?: { at: number; reason: string; detail: string }
}

/** Where one (rule, device) pair is in the alert lifecycle. */
export interface RuleState {
  phase: 'idle' | 'firing' | 'acknowledged'
  /** The open alert, while firing or acknowledged. */
  alertId?: string
  firedAt?: number
  /** The rule may not fire again before this time (cooldown after a resolution). */
  quietUntil?: number
}

/**
 * What the energy anomaly rule remembers of a meter: the register it last read, the hours still
 * filling up, and, per UTC hour of the week, that hour's consumption in the weeks before.
 */
export interface EnergyBaselineState {
  /** The register the rule follows, `<measurement>.<field>`: the first one the meter reported. */
  register?: { key: string; value: number; time: number }
  /** Hours a later register reading may still add to, by hour start (ms). */
  open: Record<string, { amount: number; estimated: boolean }>
  /** Per hour of the week (0 = Monday 00:00 UTC), that hour's consumption in the weeks learned, oldest first. */
  history: Record<string, number[]>
}

/**
 * The mass balance of one recycling site (M12 of the footprint catalogue), in tumbling windows of
 * event time: what came in over the weighbridge, what went out, and how the stock in the site's
 * weighed containers changed. Whatever is left, inflow − outflow − stock change, is mass the site
 * cannot account for: a missed weighing, a scale out of calibration, material leaving unweighed.
 */
export interface SiteBalanceState {
  /** Windows not judged yet, by start (ms): mass weighed in and out. */
  windows: Record<string, { inKg: number; outKg: number }>
  /** Per container, its cargo weights as [time, kg], oldest first: from the oldest open window on, and the last one before it. */
  containers: Record<string, [number, number][]>
  /** Newest event time seen at the site; a window is judged once this is far enough past its end. */
  newestTime?: number
  /** End of the newest window judged: flows before it come too late to change anything. */
  judgedUntil?: number
  /** Per readings `topic:partition`, the offset of the newest record whose flow was applied. */
  sources: Record<string, string>
}

/**
 * Everything the alerts processor knows about one device. Written to a compacted changelog with
 * the bus position it reflects, so a restarted processor neither loses nor repeats a transition.
 */
export interface AlertDeviceState {
  /** Offset of the last record applied to this state, per `<topic>:<partition>` it consumes (readings and commands). */
  positions: Record<string, string>
  /** Newest observation time applied; older readings describe the past and raise nothing. */
  latestTime?: number
  /** The device's messages within the allowed lateness, to skip one that comes again (see reading-identity.ts). */
  seenMessages?: SeenMessages
  /** The last 128 identities, without times, as states written before `seenMessages` kept them; taken over on first use. */
  recentReadings?: string[]
  /** Who the device is, as its latest readings said: what an acknowledgement's event describes. */
  subject?: AlertSubject
  observations: Observations
  rules: Partial<Record<RuleName, RuleState>>
  /** A meter's hourly consumption and its baseline per hour of the week (energy anomaly rule). */
  energy?: EnergyBaselineState
  /** Only in a site's state (key `site:<tenant>/<site>`): its mass balance windows. */
  site?: SiteBalanceState
}

export function emptyAlertState(): AlertDeviceState {
  return { positions: {}, observations: { recentTemperatures: [] }, rules: {} }
}
