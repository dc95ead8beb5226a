import type { AlertSubject } from './alert-event.js'
import type { EnergyBaselineState } from './energy-baseline.js'
import type { SiteBalanceState } from './mass-balance.js'
import type { RuleName } from './rule-settings.js'

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
 * Everything the alerts processor knows about one device. Written to a compacted changelog with
 * the Kafka position it reflects, so a restarted processor neither loses nor repeats a transition.
 */
export interface AlertDeviceState {
  /** Offset of the last record applied to this state, per `<topic>:<partition>` it consumes (readings and commands). */
  positions: Record<string, string>
  /** Newest observation time applied; older readings describe the past and raise nothing. */
  latestTime?: number
  /** Identities of the device's latest readings messages, to skip one that comes again (see reading-identity.ts). */
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
