import type { Config } from '../../core/config.js'
import { groupIds } from '../group-ids.js'

export interface WatchedGroup {
  readonly groupId: string
  readonly topics: readonly string[]
}

/**
 * The consumer groups of the pipeline and the topics each reads, with the group names the
 * processors use by default (`<prefix>-<role>`, the alert groups from config): whose lag the
 * health dashboard shows. A group that has committed nothing on a partition lags by everything
 * there, as its consumer would start from the beginning.
 */
export function pipelineGroups(config: Config): WatchedGroup[] {
  const { groupPrefix, topics } = config.bus
  return [
    { groupId: groupIds.normaliser(groupPrefix), topics: [topics.raw] },
    { groupId: groupIds.storeSink(groupPrefix), topics: [topics.readings, topics.footprintPoints] },
    { groupId: groupIds.footprint(groupPrefix), topics: [topics.readings, topics.devices] },
    { groupId: config.alerts.groups.processor, topics: [topics.readings, config.alerts.topics.commands, config.alerts.topics.siteFlows, topics.devices] },
    { groupId: config.alerts.groups.notifier, topics: [config.alerts.topics.events] },
  ]
}
