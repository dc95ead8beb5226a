/** The city simulator: `startSimulation` runs it; the rest is for tests and tools that need the parts. */
export { startSimulation, type RunningSimulation, type SimulationStats } from './simulation.js'
export type { SimulationOptions } from './options.js'
