/**
 * The measurements the health reporter writes, read by the pipeline-health and operations
 * dashboards. Counters are increments per report (sum them over any range); the host tag keeps
 * the reports of processes on different machines apart.
 */
export const healthMeasurements = {
  counters: 'pipeline_counters',
  deadLetters: 'pipeline_dead_letters',
  lag: 'pipeline_lag',
  delay: 'pipeline_delay',
  inventory: 'device_inventory',
} as const
