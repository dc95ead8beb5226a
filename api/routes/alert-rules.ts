import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { PlatformError } from '../../models/errors.js'
import { identifier } from '../../core/registry/device.js'
import { WatchedJsonFile } from '../../core/registry/json-file.js'
import { DeliveryTargets, isTargetRefusal } from '../../core/alerts/delivery-target.js'
import { open311Channel, rulesFile, tenantRules, webhookSubscriber, type RulesFile, type TenantRules } from '../../core/alerts/rule-settings.js'
import { identityOf } from '../auth/identity.js'
import { tenantOf } from '../auth/tenant-scope.js'
import type { RouteDeps } from '../deps.js'
import { errorResponses } from '../schemas.js'

const rulesQuery = z.strictObject({ tenant: identifier.optional().describe('Tenant: the caller\'s own by default; a platform key must name one') })

/** A tenant's rules as the API shows them: secrets are write-only, so webhook secrets and the Open311 key are left out. */
const shownRules = tenantRules.extend({
  webhooks: z.array(webhookSubscriber.omit({ secret: true })).optional(),
  open311: open311Channel.omit({ apiKey: true }).optional(),
})
const rulesBody = z.object({ tenant: z.string(), rules: shownRules })

/**
 * `GET|PUT /v1/alerts/rules`: the caller's tenant's part of the alert rules file
 * (`tenants.<tenant>` of `ALERT_RULES_FILE`: overrides per kind, webhooks, Open311). A PUT replaces
 * that part only, checked with the rules file's own schema, and writes the file atomically; the
 * alerts processor and the notifier reload it within a second. Secrets can be set, never read,
 * so a PUT must carry them again. Webhook URLs and the Open311 endpoint must be delivery targets
 * the policy allows (http(s), no credentials, public addresses unless `ALERT_TARGETS_ALLOW` lists
 * them; see delivery-target.ts): checked here, resolving the host, and again by the notifier at
 * every request, which is what holds when DNS answers change later.
 */
export const alertRuleRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  // Opened per request: a rules file made invalid by hand must not keep the API from starting.
  const open = (): WatchedJsonFile<RulesFile> => new WatchedJsonFile(deps.config.alerts.rulesFile, rulesFile, () => ({ version: 1 }), 'ALERT_RULES_INVALID')
  const targets = new DeliveryTargets(deps.config.alerts.delivery.targetsAllow)

  app.get(
    '/v1/alerts/rules',
    {
      schema: {
        summary: 'The alert rules and delivery channels of the caller\'s tenant (secrets left out)',
        tags: ['alerts'],
        querystring: rulesQuery,
        response: { 200: rulesBody, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const tenant = tenantOf(identityOf(request), request.query.tenant)
      return { tenant, rules: withoutSecrets(open().readFresh().tenants?.[tenant] ?? {}) }
    },
  )

  app.put(
    '/v1/alerts/rules',
    {
      schema: {
        summary: 'Replace the alert rules and delivery channels of the caller\'s tenant; other tenants\' rules stay as they are',
        description: 'The body is the tenant\'s entry of the rules file (see the README): `all`, `kinds`, `webhooks`, `open311`. Secrets must be sent each time; they are never shown.',
        tags: ['alerts'],
        querystring: rulesQuery,
        body: tenantRules,
        response: { 200: rulesBody, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const caller = identityOf(request)
      const tenant = tenantOf(caller, request.query.tenant)
      const rules = request.body
      await refuseForbiddenTargets(rules, targets)
      // Under the file's lock: another tenant's rules written meanwhile, by this API or another process, stay.
      open().update((current) => {
        const { [tenant]: _previous, ...others } = current.tenants ?? {}
        const tenants = isEmpty(rules) ? others : { ...others, [tenant]: rules }
        const { tenants: _tenants, ...rest } = current
        return { ...rest, ...(Object.keys(tenants).length > 0 ? { tenants } : {}) }
      })
      deps.audit.append({
        actor: caller.subject,
        action: 'alert-rules.replace',
        tenant,
        target: `alert-rules:${tenant}`,
        details: { kinds: Object.keys(rules.kinds ?? {}).join(',') || '-', webhooks: rules.webhooks?.length ?? 0, open311: rules.open311 !== undefined },
      })
      return { tenant, rules: withoutSecrets(rules) }
    },
  )
}

/** How long a PUT waits for a host name to resolve; one that does not answer in time is left to the notifier's check. */
const resolveTimeoutMs = 3000

/**
 * Refuses (400, naming the subscriber and its field) a webhook or Open311 endpoint the notifier
 * would refuse. A host name that does not resolve now is accepted: nothing can be sent to it,
 * and the notifier checks the addresses it resolves to at every request.
 */
async function refuseForbiddenTargets(rules: TenantRules, targets: DeliveryTargets): Promise<void> {
  const checks = [
    ...(rules.webhooks ?? []).map((w, i) => ({ parameter: 'webhooks', field: `webhooks.${i}.url`, who: `webhook "${w.id}"`, url: w.url })),
    ...(rules.open311 ? [{ parameter: 'open311', field: 'open311.endpoint', who: `Open311 endpoint "${rules.open311.id}"`, url: rules.open311.endpoint }] : []),
  ]
  const outcomes = await Promise.all(
    checks.map(async (check) => {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), resolveTimeoutMs)))
      try {
        await Promise.race([targets.check(check.url), timeout])
        return undefined
      } catch (error) {
        return isTargetRefusal(error) ? { ...check, problem: error.message } : undefined
      } finally {
        clearTimeout(timer)
      }
    }),
  )
  const refused = outcomes.find((outcome) => outcome !== undefined)
  if (refused) throw new PlatformError('INVALID_PARAMETER', `body field "${refused.field}": ${refused.who}: ${refused.problem}`, { parameter: refused.parameter })
}

function withoutSecrets(rules: TenantRules): z.infer<typeof shownRules> {
  const { webhooks, open311, ...rest } = rules
  return {
    ...rest,
    ...(webhooks !== undefined ? { webhooks: webhooks.map(({ secret: _secret, ...w }) => w) } : {}),
    ...(open311 !== undefined ? { open311: (({ apiKey: _apiKey, ...o }) => o)(open311) } : {}),
  }
}

function isEmpty(rules: TenantRules): boolean {
  return Object.values(rules).every((v) => v === undefined)
}
