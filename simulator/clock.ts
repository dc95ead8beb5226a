/**
 * Simulated time: it starts in the past and runs `speed` times faster than the wall clock until
 * it has caught up, then keeps pace with it. It never runs ahead of the wall clock, so no reading
 * carries a time the normaliser would refuse as lying in the future.
 */
export class SimulationClock {
  constructor(
    readonly startMs: number,
    private readonly wallStartMs: number,
    private readonly speed: number,
  ) {}

  /** Simulated now for a wall-clock reading. */
  at(wallMs: number): number {
    return Math.min(this.startMs + (wallMs - this.wallStartMs) * this.speed, wallMs)
  }

  /** Whether the simulation has caught up with the wall clock and now runs in real time. */
  caughtUp(wallMs: number): boolean {
    return this.startMs + (wallMs - this.wallStartMs) * this.speed >= wallMs
  }
}
