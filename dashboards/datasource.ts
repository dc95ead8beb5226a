import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common'

/** The InfluxDB data source (InfluxQL) every panel and variable uses; provisioned under this uid by deploy/grafana. */
export const influxDataSource: DataSourceRef = { type: 'influxdb', uid: 'circular-influxdb' }
