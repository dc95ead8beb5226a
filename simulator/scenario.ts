/**
 * When the scripted incidents happen, in simulated time. They are spread over the history, so a
 * demo that starts with history shows them all at once; without history they follow within the
 * first two hours of real time.
 */
export interface Scenario {
  readonly startMs: number
  /** The electricity meter that is swapped: its register restarts from zero. */
  readonly counterResetAt: number
  /** The container that catches fire. */
  readonly fireAt: number
  /** The sensor that stops reporting for good. */
  readonly silentFrom: number
  /** The weak battery crosses the low-battery alert level (0.15) here. */
  readonly lowBatteryAt: number
}

const hourMs = 3_600_000
const minimumSpanMs = 2 * hourMs

export function scenarioFor(startMs: number, historyHours: number): Scenario {
  const span = Math.max(historyHours * hourMs, minimumSpanMs)
  const at = (share: number): number => startMs + Math.round((span * share) / 60_000) * 60_000
  return { startMs, counterResetAt: at(0.4), fireAt: at(0.6), silentFrom: at(0.75), lowBatteryAt: at(0.5) }
}
