/** A moment as people in the city live it: the rhythms of waste and energy follow local time. */
export interface LocalTime {
  /** Hour of the day, 0–23. */
  readonly hour: number
  readonly minute: number
  /** Day of the week, 0 = Sunday … 6 = Saturday. */
  readonly weekday: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()
const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

/** Local hour and weekday of an instant in an IANA time zone, summer time included. */
export function localTime(ms: number, timeZone: string): LocalTime {
  let formatter = formatters.get(timeZone)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', weekday: 'short' })
    formatters.set(timeZone, formatter)
  }
  let hour = 0
  let minute = 0
  let weekday = 0
  for (const part of formatter.formatToParts(ms)) {
    if (part.type === 'hour') hour = Number(part.value)
    else if (part.type === 'minute') minute = Number(part.value)
    else if (part.type === 'weekday') weekday = weekdays.indexOf(part.value)
  }
  return { hour, minute, weekday }
}
