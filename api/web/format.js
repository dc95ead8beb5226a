// How numbers, shares and times read on the page. The test formats the API's values the same
// way to check what is shown, so these rules are the page's contract with it.

/** Fewer decimals the larger the value, no trailing zeros, thousands grouped: 0.012, 4.56, 78.9, 40, 1 234. */
export function number(value) {
  if (!Number.isFinite(value)) return '–'
  const magnitude = Math.abs(value)
  const decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3
  const [whole, fraction = ''] = magnitude.toFixed(decimals).split('.')
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f')
  const digits = fraction.replace(/0+$/, '')
  const sign = value < 0 && Number(`${whole}.${digits || 0}`) !== 0 ? '−' : ''
  return `${sign}${grouped}${digits ? `.${digits}` : ''}`
}

/** A ratio 0–1 as a whole percentage: 0.725 → "73 %". */
export function percent(ratio) {
  return Number.isFinite(ratio) ? `${Math.round(ratio * 100)}\u00a0%` : '–'
}

/** Hours ahead as the unit a collection planner thinks in: "< 1 h", "5 h", "3 d". */
export function hoursAhead(hours) {
  if (!Number.isFinite(hours)) return 'unknown'
  if (hours < 1) return '<\u00a01\u00a0h'
  if (hours < 48) return `${Math.round(hours)}\u00a0h`
  return `${Math.round(hours / 24)}\u00a0d`
}

/** How long ago a time was: "12 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function ago(ms, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - ms) / 1000))
  if (seconds < 90) return `${seconds}\u00a0s ago`
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}\u00a0min ago`
  if (seconds < 48 * 3600) return `${Math.round(seconds / 3600)}\u00a0h ago`
  return `${Math.round(seconds / 86400)}\u00a0d ago`
}

/** A UTC day as "3 Nov". */
export function day(iso) {
  return new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' })
}

/** Snake-case vocabulary as words: "energy_recovery" → "energy recovery". */
export function words(text) {
  return String(text).replace(/_/g, ' ')
}
