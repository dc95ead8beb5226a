import { z } from 'zod'
import { deviceKinds, type DeviceKind } from '../../models/reading.js'
import { wasteContainerStatuses } from '../../models/vocabulary.js'

/** The rule kinds the alerts processor evaluates on the live readings stream. */
export const ruleNames = ['fill', 'fire', 'tamper', 'low_battery', 'silence', 'offline', 'energy_anomaly', 'mass_balance'] as const
export type RuleName = (typeof ruleNames)[number]

const ratio = z.number().min(0).max(1)
const minutes = z.number().min(0).max(7 * 24 * 60)

/**
 * Settings of every rule for one device. Each rule has a condition that raises it and a looser
 * one that resolves it (hysteresis), so a value hovering at a threshold raises one alert, not many.
 */
const settingsSchema = z.strictObject({
  fill: z.strictObject({
    enabled: z.boolean(),
    /** Fill ratio at or above which the container needs collecting. */
    threshold: ratio,
    /** Resolves only below `threshold − hysteresis`. */
    hysteresis: ratio,
  }),
  fire: z.strictObject({
    enabled: z.boolean(),
    /** Temperature in °C at or above which the container counts as burning. */
    alarmC: z.number().min(-60).max(1200),
    /** A rise of at least `riseC` °C within `riseWithinMinutes` also raises it. */
    riseC: z.number().positive(),
    riseWithinMinutes: minutes.positive(),
    /** Resolves only below `alarmC − hysteresisC`, with no fast rise and no `burning` status. */
    hysteresisC: z.number().min(0),
  }),
  tamper: z.strictObject({
    enabled: z.boolean(),
    /** Container statuses that mean tampering. */
    statuses: z.array(z.enum(wasteContainerStatuses)).min(1),
    /** An open lid (`lidOpen` flag or status) raises it once open this long. */
    lidOpenGraceMinutes: minutes,
  }),
  low_battery: z.strictObject({
    enabled: z.boolean(),
    /** Battery ratio below which the alert is raised. */
    below: ratio,
    /** Resolves only at or above `below + hysteresis`. */
    hysteresis: ratio,
  }),
  silence: z.strictObject({
    enabled: z.boolean(),
    /** How often the device is expected to report. */
    expectedIntervalMinutes: z.number().positive().max(7 * 24 * 60),
    /** Raised once nothing arrived for this many expected intervals; resolved by the next reading. */
    missedIntervals: z.number().positive().max(1000),
  }),
  offline: z.strictObject({
    /**
     * Off by default: many devices connect only to report. Raised once the device's newest MQTT
     * session ended (its broker's offline status event) and no new one began for `graceMinutes`;
     * resolved when it connects again.
     */
    enabled: z.boolean(),
    graceMinutes: minutes,
    /** Also after a DISCONNECT the device sent itself; by default only a connection lost or closed by the broker counts. */
    onDisconnect: z.boolean(),
  }),
  energy_anomaly: z.strictObject({
    enabled: z.boolean(),
    /**
     * Raised when a complete hour's consumption, as (consumption − baseline) / baseline (the
     * footprint's M5 ratio), is at least `above` or at most −`below`; the baseline is the median
     * of the same UTC hour of the week over the last `baselineWeeks` weeks the meter reported.
     */
    above: z.number().positive(),
    below: z.number().positive().max(1),
    /** Resolves only once the ratio is back inside (−below + hysteresis, above − hysteresis). */
    hysteresis: z.number().min(0),
    baselineWeeks: z.number().int().min(1).max(12),
    /** No verdict for an hour of the week before this many weeks of it were learned. */
    minWeeks: z.number().int().min(1).max(12),
    /** Hours whose baseline is below this (kWh or m³) are too idle for a ratio to mean anything. */
    minBaseline: z.number().min(0),
    /** Consumption spread over a longer gap between register readings is an estimate: neither judged nor learned. */
    maxReadingGapMinutes: minutes.positive(),
  }),
  mass_balance: z.strictObject({
    /** Off by default: it needs a site's stock weighed (containers with load cells), or a site that keeps none. */
    enabled: z.boolean(),
    /** Tumbling windows in event time, aligned to UTC midnight. */
    windowHours: z.number().int().min(1).max(24 * 31),
    /** A window is judged once the site's newest weighing is this far past its end, so late weighings still count. */
    closeAfterMinutes: minutes,
    /** Raised when |inflow − outflow − stock change| exceeds `tolerance` × inflow and `minKg`. */
    tolerance: ratio,
    minKg: z.number().min(0),
    /** Resolves only once a window is within (tolerance − hysteresis) × inflow, or `minKg`. */
    hysteresis: ratio,
  }),
  /** After an alert resolves, the same rule does not fire again for the device for this long (event time). */
  cooldownMinutes: minutes,
})
export type RuleSettings = z.infer<typeof settingsSchema>

/** Built-in defaults, used wherever the rules file says nothing. */
export const builtInSettings: RuleSettings = {
  fill: { enabled: true, threshold: 0.8, hysteresis: 0.1 },
  fire: { enabled: true, alarmC: 70, riseC: 20, riseWithinMinutes: 10, hysteresisC: 10 },
  tamper: { enabled: true, statuses: ['dropped', 'moved', 'vandalized'], lidOpenGraceMinutes: 15 },
  low_battery: { enabled: true, below: 0.15, hysteresis: 0.05 },
  silence: { enabled: true, expectedIntervalMinutes: 60, missedIntervals: 3 },
  offline: { enabled: false, graceMinutes: 5, onDisconnect: false },
  energy_anomaly: { enabled: true, above: 1, below: 0.8, hysteresis: 0.2, baselineWeeks: 4, minWeeks: 3, minBaseline: 0.1, maxReadingGapMinutes: 120 },
  mass_balance: { enabled: false, windowHours: 24, closeAfterMinutes: 60, tolerance: 0.05, minKg: 50, hysteresis: 0.02 },
  cooldownMinutes: 30,
}

/** A partial override: any rule, any setting of it. */
const settingsOverride = z.strictObject({
  fill: settingsSchema.shape.fill.partial().optional(),
  fire: settingsSchema.shape.fire.partial().optional(),
  tamper: settingsSchema.shape.tamper.partial().optional(),
  low_battery: settingsSchema.shape.low_battery.partial().optional(),
  silence: settingsSchema.shape.silence.partial().optional(),
  offline: settingsSchema.shape.offline.partial().optional(),
  energy_anomaly: settingsSchema.shape.energy_anomaly.partial().optional(),
  mass_balance: settingsSchema.shape.mass_balance.partial().optional(),
  cooldownMinutes: minutes.optional(),
})
export type SettingsOverride = z.infer<typeof settingsOverride>

const byKind = z.partialRecord(z.enum(deviceKinds), settingsOverride)

/** A webhook that receives a tenant's alert events, signed with its own secret. */
export const webhookSubscriber = z.strictObject({
  /** Names the subscriber in delivery records and idempotency keys; stable across edits. */
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . -'),
  url: z.url({ protocol: /^https?$/ }),
  /** HMAC-SHA256 key for the `x-circular-signature` header; keep the rules file private. */
  secret: z.string().min(16),
  /** Only these rules; default all. */
  rules: z.array(z.enum(ruleNames)).min(1).optional(),
  /** Only these transitions; default all. */
  phases: z.array(z.enum(['firing', 'acknowledged', 'resolved'])).min(1).optional(),
})
export type WebhookSubscriber = z.infer<typeof webhookSubscriber>

/** A city's Open311 GeoReport v2 endpoint: a service request per firing alert of a mapped rule. */
export const open311Channel = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . -'),
  /** Base URL, e.g. `https://city.example/open311/v2`; `requests.json` is appended. */
  endpoint: z.url({ protocol: /^https?$/ }),
  apiKey: z.string().min(1),
  /** Only for endpoints that serve several jurisdictions. */
  jurisdictionId: z.string().min(1).optional(),
  /** The service code each rule files under (GeoReport codes are strings); rules not listed file nothing. */
  serviceCodes: z.partialRecord(z.enum(ruleNames), z.string().min(1)),
  /** Fixed `attribute[CODE]` values a service definition requires, per service code. */
  attributes: z.record(z.string(), z.record(z.string(), z.string())).optional(),
})
export type Open311Channel = z.infer<typeof open311Channel>

/** One tenant's part of the rules file: its overrides and its delivery channels. */
export const tenantRules = z.strictObject({ all: settingsOverride.optional(), kinds: byKind.optional(), webhooks: z.array(webhookSubscriber).optional(), open311: open311Channel.optional() })
export type TenantRules = z.infer<typeof tenantRules>

/**
 * The rules file (`ALERT_RULES_FILE`): overrides for every device (`all`), per device kind
 * (`kinds`), and per tenant, again for all its devices and per kind, with the tenant's delivery
 * channels. The most specific setting wins:
 * built-in < all < kinds < tenant all < tenant kinds < the container's registered fullness threshold.
 */
export const rulesFile = z.strictObject({
  version: z.literal(1),
  all: settingsOverride.optional(),
  kinds: byKind.optional(),
  tenants: z.record(z.string().min(1), tenantRules).optional(),
})
export type RulesFile = z.infer<typeof rulesFile>

/** The webhooks of a tenant that want a transition of a rule. */
export function webhooksFor(file: RulesFile, tenant: string, rule: RuleName, phase: 'firing' | 'acknowledged' | 'resolved'): WebhookSubscriber[] {
  return (file.tenants?.[tenant]?.webhooks ?? []).filter((w) => (w.rules ?? ruleNames).includes(rule) && (w.phases ?? [phase]).includes(phase))
}

/** The tenant's Open311 channel and the service code of a rule, when the rule files requests. */
export function open311For(file: RulesFile, tenant: string, rule: RuleName): { channel: Open311Channel; serviceCode: string } | undefined {
  const channel = file.tenants?.[tenant]?.open311
  const serviceCode = channel?.serviceCodes[rule]
  return channel && serviceCode ? { channel, serviceCode } : undefined
}

/** What the device itself contributes (its registration, carried on every readings envelope). */
export interface DeviceFacts {
  readonly tenant: string
  readonly kind: DeviceKind
  readonly fullnessThreshold?: number
}

/** The settings that apply to one device under a rules file. */
export function settingsFor(file: RulesFile, device: DeviceFacts): RuleSettings {
  const tenant = file.tenants?.[device.tenant]
  const layers = [file.all, file.kinds?.[device.kind], tenant?.all, tenant?.kinds?.[device.kind]]
  let settings = builtInSettings
  for (const layer of layers) if (layer) settings = overlay(settings, layer)
  if (device.fullnessThreshold !== undefined) settings = { ...settings, fill: { ...settings.fill, threshold: device.fullnessThreshold } }
  return settings
}

function overlay(base: RuleSettings, layer: SettingsOverride): RuleSettings {
  return {
    fill: { ...base.fill, ...layer.fill },
    fire: { ...base.fire, ...layer.fire },
    tamper: { ...base.tamper, ...layer.tamper },
    low_battery: { ...base.low_battery, ...layer.low_battery },
    silence: { ...base.silence, ...layer.silence },
    offline: { ...base.offline, ...layer.offline },
    energy_anomaly: { ...base.energy_anomaly, ...layer.energy_anomaly },
    mass_balance: { ...base.mass_balance, ...layer.mass_balance },
    cooldownMinutes: layer.cooldownMinutes ?? base.cooldownMinutes,
  }
}
