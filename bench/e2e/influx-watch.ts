/** The few InfluxDB v1 queries the benchmark needs, straight over HTTP. */
export class InfluxWatch {
  constructor(
    private readonly url: string,
    private readonly database: string,
  ) {}

  /** Stored temperature readings of one tenant (each reading is one point with one field). */
  async count(tenant: string): Promise<number> {
    const rows = await this.select(`SELECT count("temperature_c") FROM "waste_container" WHERE "tenant" = '${tenant}'`)
    return Number(rows[0]?.[1] ?? 0)
  }

  /** Times (ms) of a device's readings at or after `fromMs`. */
  async times(deviceId: string, fromMs: number): Promise<number[]> {
    const rows = await this.select(`SELECT "temperature_c" FROM "waste_container" WHERE "device" = '${deviceId}' AND time >= ${fromMs}ms`)
    return rows.map((r) => Number(r[0]))
  }

  async dropDatabase(): Promise<void> {
    await this.post(`DROP DATABASE "${this.database}"`, false)
  }

  private async select(statement: string): Promise<unknown[][]> {
    const body = await this.post(statement, true)
    const result = body.results?.[0]
    if (result?.error) {
      // Before the first write the database or measurement may not exist yet: nothing stored.
      if (/database not found/.test(result.error)) return []
      throw new Error(`InfluxDB: ${result.error}`)
    }
    return result?.series?.[0]?.values ?? []
  }

  private async post(statement: string, withDb: boolean): Promise<{ results?: { series?: { values: unknown[][] }[]; error?: string }[] }> {
    const form = new URLSearchParams({ q: statement, epoch: 'ms' })
    if (withDb) form.set('db', this.database)
    const response = await fetch(`${this.url}/query`, { method: 'POST', body: form, signal: AbortSignal.timeout(10_000) })
    if (!response.ok) throw new Error(`InfluxDB answered ${response.status}: ${await response.text()}`)
    return (await response.json()) as { results?: { series?: { values: unknown[][] }[]; error?: string }[] }
  }
}
