import { userInfo } from 'node:os'
import type { Command } from 'commander'
import { loadConfig } from '../core/config.js'
import { AuditLog } from '../core/registry/audit-log.js'
import { device, publicView, type Device } from '../core/registry/device.js'
import { FileRegistry } from '../core/registry/file-registry.js'
import { generateSecret, hashSecret } from '../core/registry/secret.js'
import { deviceKinds, payloadFormats } from '../models/reading.js'
import { meterTypes, storedWasteKinds } from '../models/vocabulary.js'

interface AddOptions {
  id: string
  tenant: string
  site: string
  kind: string
  format: string
  apiKey?: string
  lat?: string
  lon?: string
  entityId?: string
  wasteFraction?: string
  containerVolumeM3?: string
  containerType?: string
  meterType?: string
  fullnessThreshold?: string
  json?: boolean
}

/** `circular devices …`: register devices and print their credentials once. */
export function registerDeviceCommands(program: Command): void {
  const devices = program.command('devices').description('manage the device registry (REGISTRY_FILE)')

  devices
    .command('add')
    .description('register a device and print its MQTT credentials (the secret is shown only now)')
    .requiredOption('--id <id>', 'device id, also its MQTT username and client id')
    .requiredOption('--tenant <tenant>', 'tenant (city) the device belongs to')
    .requiredOption('--site <site>', 'site the device is installed at')
    .requiredOption('--kind <kind>', `one of ${deviceKinds.join(', ')}`)
    .option('--format <format>', `payload format: ${payloadFormats.join(', ')}`, 'auto')
    .option('--api-key <key>', 'FIWARE IoT Agent API key for /json/<apiKey>/… topics (default: the tenant)')
    .option('--lat <latitude>', 'latitude in decimal degrees (WGS 84)')
    .option('--lon <longitude>', 'longitude in decimal degrees (WGS 84)')
    .option('--entity-id <urn>', 'NGSI-LD entity id the device reports as')
    .option('--waste-fraction <fraction>', `waste fraction a container holds: ${storedWasteKinds.join(', ')}`)
    .option('--container-volume-m3 <m3>', 'container volume in cubic metres')
    .option('--container-type <type>', 'container type or size class (thresholds are set per type)')
    .option('--meter-type <type>', `what a meter meters: ${meterTypes.join(', ')} (default: implied by --kind)`)
    .option('--fullness-threshold <ratio>', 'fill ratio 0..1 at which the container counts as full')
    .option('--json', 'print the credentials as JSON')
    .action(async (options: AddOptions) => {
      const config = loadConfig()
      const secret = generateSecret()
      const candidate = {
        id: options.id,
        tenant: options.tenant,
        site: options.site,
        kind: options.kind,
        format: options.format,
        apiKey: options.apiKey ?? options.tenant,
        ...(options.lat !== undefined || options.lon !== undefined ? { location: { type: 'Point', coordinates: [Number(options.lon), Number(options.lat)] } } : {}),
        ...(options.entityId !== undefined ? { entityId: options.entityId } : {}),
        ...(options.wasteFraction !== undefined ? { wasteFraction: options.wasteFraction } : {}),
        ...(options.containerVolumeM3 !== undefined ? { containerVolumeM3: Number(options.containerVolumeM3) } : {}),
        ...(options.containerType !== undefined ? { containerType: options.containerType } : {}),
        ...(options.meterType !== undefined ? { meterType: options.meterType } : {}),
        ...(options.fullnessThreshold !== undefined ? { fullnessThreshold: Number(options.fullnessThreshold) } : {}),
        secretHash: await hashSecret(secret),
        createdAt: new Date().toISOString(),
      }
      const parsed = device.safeParse(candidate)
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `--${flagName(String(i.path[0]))}: ${i.message}`)
        throw new Error(`invalid device: ${problems.join('; ')}`)
      }
      new FileRegistry(config.registryFile).add(parsed.data)
      new AuditLog(config.auth.auditLogFile).append({ actor: `cli:${userInfo().username}`, action: 'device.add', tenant: parsed.data.tenant, target: parsed.data.id, details: { site: parsed.data.site, kind: parsed.data.kind } })
      printCredentials(parsed.data, secret, options.json === true)
    })

  devices
    .command('list')
    .description('list registered devices (never their secrets)')
    .action(() => {
      const config = loadConfig()
      console.log(JSON.stringify(new FileRegistry(config.registryFile).list().map(publicView), null, 2))
    })

  devices
    .command('remove')
    .description('remove a device; it can no longer connect')
    .argument('<id>', 'device id')
    .action((id: string) => {
      const config = loadConfig()
      const registry = new FileRegistry(config.registryFile)
      const tenant = registry.get(id)?.tenant
      if (!registry.remove(id)) throw new Error(`no device "${id}" is registered`)
      new AuditLog(config.auth.auditLogFile).append({ actor: `cli:${userInfo().username}`, action: 'device.remove', ...(tenant !== undefined ? { tenant } : {}), target: id })
      console.log(`removed ${id}`)
    })
}

function printCredentials(d: Device, secret: string, asJson: boolean): void {
  const topics = {
    ngsiLd: `devices/${d.id}/ngsi-ld`,
    senml: `devices/${d.id}/senml`,
    registeredFormat: `devices/${d.id}/attrs`,
    iotAgentJson: `/json/${d.apiKey}/${d.id}/attrs`,
    ultralight: `/ul/${d.apiKey}/${d.id}/attrs`,
  }
  if (asJson) {
    console.log(JSON.stringify({ deviceId: d.id, username: d.id, clientId: d.id, secret, topics }, null, 2))
    return
  }
  console.log(`registered ${d.id} (tenant ${d.tenant}, site ${d.site}, ${d.kind})`)
  console.log(`  MQTT username / client id: ${d.id}`)
  console.log(`  MQTT password (shown once, store it now): ${secret}`)
  for (const [name, topic] of Object.entries(topics)) console.log(`  publish ${name.padEnd(16)} ${topic}`)
}

function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}
