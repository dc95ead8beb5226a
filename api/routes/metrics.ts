import type { Counters } from '../../core/counters.js'
import type { ZodScope } from '../deps.js'

/**
 * `GET /metrics`: every counter of the components in this process, in the Prometheus text format
 * (`circular_<component>_<counter>_total`), so per-hop flow can be scraped and compared.
 */
export function registerMetricsRoutes(app: ZodScope, counters: () => readonly Counters[]): void {
  app.get('/metrics', { schema: { summary: 'Per-component counters in the Prometheus text format', tags: ['health'] } }, async (_request, reply) => {
    return reply.type('text/plain; version=0.0.4').send(prometheusText(counters()))
  })
}

export function prometheusText(sources: readonly Counters[]): string {
  const lines: string[] = []
  for (const source of sources) {
    for (const [name, value] of Object.entries(source.snapshot())) {
      const metric = `circular_${snake(source.component)}_${snake(name)}_total`
      lines.push(`# TYPE ${metric} counter`, `${metric} ${value}`)
    }
  }
  return lines.join('\n') + '\n'
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/[^a-z0-9_]/g, '_')
}
