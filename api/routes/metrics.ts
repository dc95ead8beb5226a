import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Counters } from '../../core/counters.js'

export interface MetricsRouteOptions {
  /** Every component's counters in this process, read at each scrape. */
  readonly counters: () => readonly Counters[]
}

/**
 * `GET /metrics`: every counter of the components in this process, in the Prometheus text format
 * (`circular_<component>_<counter>_total`), so per-hop flow can be scraped and compared. A
 * counter named `<counter>.<tenant>` is that counter for one tenant, served with a tenant label.
 */
export const metricsRoutes: FastifyPluginAsyncZod<MetricsRouteOptions> = async (app, { counters }) => {
  app.get('/metrics', { schema: { summary: 'Per-component counters in the Prometheus text format', tags: ['health'] } }, async (_request, reply) => {
    return reply.type('text/plain; version=0.0.4').send(prometheusText(counters()))
  })
}

export function prometheusText(sources: readonly Counters[]): string {
  const families = new Map<string, string[]>()
  for (const source of sources) {
    for (const [name, value] of Object.entries(source.snapshot())) {
      const dot = name.indexOf('.')
      const base = dot < 0 ? name : name.slice(0, dot)
      const metric = `circular_${snake(source.component)}_${snake(base)}_total`
      const sample = dot < 0 ? `${metric} ${value}` : `${metric}{tenant="${labelValue(name.slice(dot + 1))}"} ${value}`
      families.set(metric, [...(families.get(metric) ?? []), sample])
    }
  }
  return [...families].flatMap(([metric, samples]) => [`# TYPE ${metric} counter`, ...samples]).join('\n') + '\n'
}

function labelValue(text: string): string {
  return text.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`).replace(/[^a-z0-9_]/g, '_')
}
