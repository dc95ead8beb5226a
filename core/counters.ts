/**
 * Named monotonic counters of one component (received, accepted, dead-lettered, stored, …).
 * Plain numbers on the hot path; readers take snapshots for logs, the API and dashboards.
 */
export class Counters<Name extends string = string> {
  private readonly values = new Map<Name, number>()

  constructor(
    readonly component: string,
    names: readonly Name[],
  ) {
    for (const name of names) this.values.set(name, 0)
  }

  add(name: Name, amount = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + amount)
  }

  get(name: Name): number {
    return this.values.get(name) ?? 0
  }

  snapshot(): Readonly<Record<Name, number>> {
    return Object.freeze(Object.fromEntries(this.values)) as Record<Name, number>
  }
}
