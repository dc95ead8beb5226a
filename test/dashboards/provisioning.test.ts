import { readdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, test } from 'vitest'
import { loadConfig } from '../../core/config.js'
import { influxDataSource } from '../../dashboards/datasource.js'
import { generatedDir } from '../../dashboards/generate.js'
import { committedDashboards, committedFiles } from './dashboard-files.js'
import { expandEnv, parseYaml, type Yaml } from './provisioning-yaml.js'

const provisioning = 'deploy/grafana/provisioning'
const read = (path: string): string => readFileSync(resolve(provisioning, path), 'utf8')

type YamlObject = { [key: string]: Yaml }
const object = (value: Yaml | undefined, what: string): YamlObject => {
  expect(value, what).toBeTypeOf('object')
  expect(Array.isArray(value), what).toBe(false)
  expect(value, what).not.toBeNull()
  return value as YamlObject
}
const list = (value: Yaml | undefined, what: string): Yaml[] => {
  expect(Array.isArray(value), what).toBe(true)
  return value as Yaml[]
}

/** The environment the Grafana README sets before starting Grafana from this checkout (`export NAME=value`, `$PWD` the checkout). */
function documentedEnvironment(): Record<string, string> {
  const readme = readFileSync('deploy/grafana/README.md', 'utf8')
  const env: Record<string, string> = {}
  for (const line of readme.split('\n').filter((l) => l.startsWith('export '))) {
    for (const assignment of line.slice('export '.length).replace(/\s#.*$/, '').trim().split(/\s+/)) {
      const [, name, value] = /^(\w+)=(.*)$/.exec(assignment) ?? []
      if (name !== undefined) env[name] = value!.replace(/^"(.*)"$/, '$1').replaceAll('$PWD', process.cwd())
    }
  }
  return env
}

describe('Grafana provisioning files', () => {
  const datasources = object(parseYaml(read('datasources/circular.yaml')), 'datasources file')
  const dashboards = object(parseYaml(read('dashboards/circular.yaml')), 'dashboards file')

  test('the tiny YAML reader should read nesting, sequences of mappings, scalars and comments, and refuse what it does not know', () => {
    expect(parseYaml('a: 1 # one\nb:\n  - name: x\n    on: true\n  - "q # r"\nc: ~\n')).toEqual({ a: 1, b: [{ name: 'x', on: true }, 'q # r'], c: null })
    expect(() => parseYaml('a: [1, 2]')).toThrow(/unsupported/)
    expect(() => parseYaml('a: 1\n   b: 2')).toThrow(/indentation/)
    expect(expandEnv('url: ${U} db: $D x: ${MISSING}', { U: 'http://h:8086', D: 'circ' })).toBe('url: http://h:8086 db: circ x: ')
  })

  test('the data source should be InfluxDB over InfluxQL, through Grafana\u2019s proxy, with the uid every panel, query and variable uses', () => {
    expect(datasources.apiVersion).toBe(1)
    const [source, ...others] = list(datasources.datasources, 'datasources')
    expect(others).toEqual([])
    const ds = object(source, 'data source')
    expect(ds).toMatchObject({ type: 'influxdb', access: 'proxy', uid: influxDataSource.uid, editable: false })
    expect(object(ds.jsonData, 'jsonData')).toMatchObject({ version: 'InfluxQL' })
    expect(typeof ds.name === 'string' && ds.name !== '').toBe(true)

    const uids = new Set<string>()
    for (const d of committedDashboards()) {
      for (const p of d.panels) {
        uids.add(p.datasource?.uid ?? `${d.uid} / ${p.title}: none`)
        for (const t of p.targets) uids.add(t.datasource?.uid ?? `${d.uid} / ${p.title} / ${t.refId}: none`)
      }
      for (const v of d.templating.list) uids.add(v.datasource.uid)
    }
    expect([...uids]).toEqual([ds.uid])
  })

  test('the dashboards provider should load a directory of files into one read-only folder', () => {
    expect(dashboards.apiVersion).toBe(1)
    const [entry, ...others] = list(dashboards.providers, 'providers')
    expect(others).toEqual([])
    const provider = object(entry, 'provider')
    expect(provider).toMatchObject({ type: 'file', folder: 'Circular', disableDeletion: true, allowUiUpdates: false })
    // A folder name and folders from the file structure exclude each other.
    expect(object(provider.options, 'options')).toMatchObject({ path: '${CIRCULAR_DASHBOARDS_DIR}', foldersFromFilesStructure: false })
  })

  test('with the environment the README documents, the files should point at dashboards/generated and at the platform\u2019s InfluxDB database', () => {
    const env = documentedEnvironment()
    const ds = object(list(object(parseYaml(expandEnv(read('datasources/circular.yaml'), env)), 'datasources').datasources, 'datasources')[0], 'data source')
    const provider = object(list(object(parseYaml(expandEnv(read('dashboards/circular.yaml'), env)), 'dashboards').providers, 'providers')[0], 'provider')

    const path = object(provider.options, 'options').path as string
    expect(path).toBe(resolve('dashboards/generated'))
    expect(resolve(generatedDir)).toBe(path)
    expect(readdirSync(path).filter((f) => f.endsWith('.json')).sort()).toEqual([...committedFiles().keys()].sort())

    // The platform's defaults: INFLUX_URL when set to the local service, INFLUX_DB.
    const platform = loadConfig({ INFLUX_URL: 'http://127.0.0.1:8086' }).influx
    expect(ds.url).toBe(platform.url)
    expect(ds.database).toBe(platform.database)
    expect(object(ds.jsonData, 'jsonData').dbName).toBe(platform.database)
  })
})
