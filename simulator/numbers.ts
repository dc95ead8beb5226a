/** Rounds to a fixed number of decimals, as a sensor's display does; keeps payloads short and exact. */
export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals
  return Math.round(value * factor) / factor
}
