/**
 * The consumer group of each pipeline processor, `<prefix>-<role>` (the alert groups come from
 * config): what the processors join by default and whose lag the health reporter watches.
 */
export const groupIds = {
  normaliser: (prefix: string): string => `${prefix}-normaliser`,
  footprint: (prefix: string): string => `${prefix}-footprint`,
  /**
   * The store sink's group keeps the name it had before the sink was renamed, so that running
   * deployments resume from their committed offsets instead of rewriting the whole retained log.
   */
  storeSink: (prefix: string): string => `${prefix}-influx-sink`,
} as const
