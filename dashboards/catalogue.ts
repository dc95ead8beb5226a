import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import type { Config } from '../core/config.js'
import { loadFactorSets, newestVersion } from '../models/factors/factor-sets.js'
import { cityOverview } from './city-overview.js'
import { energy } from './energy.js'
import type { FootprintFactors } from './footprint-queries.js'
import { pipelineHealth } from './pipeline-health.js'
import { recyclingCentres } from './recycling-centres.js'
import { wasteOperations } from './waste-operations.js'

/** Every platform dashboard, built with the factors the platform's config selects. */
export function buildDashboards(factors: FootprintFactors): Dashboard[] {
  return [cityOverview(factors), wasteOperations(), energy(factors), recyclingCentres(), pipelineHealth()]
}

/** The newest factor set (built-in and `FACTOR_SETS_DIR`) and the default grid country, as the API defaults to. */
export function footprintFactors(config: Config): FootprintFactors {
  const sets = loadFactorSets(config.footprint.factorSetsDir)
  return { set: sets.get(newestVersion(sets))!, country: config.footprint.defaultCountry }
}

/** The dashboard JSON exactly as written to `dashboards/generated/<uid>.json`. */
export function dashboardJson(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`
}
