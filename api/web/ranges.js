// The periods the footprint panels show, in whole UTC days and months like the API's windows.

const dayMs = 86_400_000

/** The last `days` UTC days up to and including today, with one ISO day start per day. */
export function recentDays(now, days = 14) {
  const today = Math.floor(now / dayMs) * dayMs
  const starts = Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * dayMs).toISOString())
  return { from: starts[0], to: new Date(today + dayMs).toISOString(), starts }
}

/** The current UTC month. */
export function currentMonth(now) {
  const date = new Date(now)
  const from = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)
  const to = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1)
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() }
}
