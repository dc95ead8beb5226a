import { QueryVariableBuilder, VariableRefresh, VariableSort } from '@grafana/grafana-foundation-sdk/dashboard'
import { influxDataSource } from './datasource.js'
import { tagValuesQuery, type Condition, type TemplateVariable } from './influxql.js'

/** `All` means any value, including a missing tag (InfluxQL compares a missing tag as ''). */
export const allValue = '.*'

function tagVariable(name: TemplateVariable, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(influxDataSource)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue(allValue)
    .current({ selected: true, text: ['All'], value: ['$__all'] })
}

const byTenant: Condition[] = [{ tag: 'tenant', variable: 'tenant' }]

/** Tenants (cities) known to the store: every measurement carries the tag. */
export const tenantVariable = (): QueryVariableBuilder => tagVariable('tenant', 'Tenant', tagValuesQuery([], 'tenant'))

/** Sites of the selected tenants. */
export const siteVariable = (): QueryVariableBuilder => tagVariable('site', 'Site', tagValuesQuery([], 'site', byTenant))

/** Waste fractions of containers and of material flows at recycling centres. */
export const fractionVariable = (): QueryVariableBuilder =>
  tagVariable('fraction', 'Fraction', tagValuesQuery(['waste_container', 'material_flow_rollup'], 'fraction', byTenant))

/** Hosts that report pipeline health. */
export const hostVariable = (): QueryVariableBuilder => tagVariable('host', 'Host', tagValuesQuery(['pipeline_counters'], 'host'))
