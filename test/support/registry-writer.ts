/**
 * A second writer of the device registry in a process of its own, doing what `circular devices
 * add` and `circular devices remove` do (the same registration and revocation code, one device at a
 * time, each change a read-modify-write of the file): registers `<prefix>-0` … `<prefix>-<count−1>`
 * and, as it goes, revokes the first `<revoke>` of them. Prints one JSON line with every device's
 * secret and the ids it revoked.
 *
 *   node --import tsx test/support/registry-writer.ts <prefix> <count> <revoke>
 */
import { loadConfig } from '../../core/config.js'
import { AuditLog } from '../../core/registry/audit-log.js'
import { deviceRegistration, registerDevice, revokeDevice } from '../../core/registry/device-registration.js'
import { FileRegistry } from '../../core/registry/file-registry.js'
import { TenantPolicies } from '../../core/registry/tenants.js'

const [prefix = 'cli', count = '150', revoke = '25'] = process.argv.slice(2)
const config = loadConfig()
const deps = { registry: new FileRegistry(config.registryFile), tenants: new TenantPolicies(config.auth.tenantsFile, config.mqtt.maxPayloadBytes), audit: new AuditLog(config.auth.auditLogFile) }
const secrets: Record<string, string> = {}
const revoked: string[] = []
for (let i = 0; i < Number(count); i++) {
  const input = deviceRegistration.parse({ id: `${prefix}-${i}`, tenant: 'lockcity', site: 'depot', kind: 'waste_container', format: 'senml' })
  const { device, secret } = await registerDevice(deps, input, 'cli:registry-writer')
  secrets[device.id] = secret
  // Each revocation trails the adds by a few, so it lands among the other process's adds.
  const behind = i - 5
  if (behind >= 0 && revoked.length < Number(revoke)) {
    revokeDevice(deps, `${prefix}-${behind}`, 'cli:registry-writer')
    revoked.push(`${prefix}-${behind}`)
  }
}
process.stdout.write(JSON.stringify({ secrets, revoked }) + '\n')
