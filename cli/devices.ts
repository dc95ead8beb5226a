import { userInfo } from 'node:os'
import type { Command } from 'commander'
import { loadConfig } from '../core/config.js'
import { AuditLog } from '../core/registry/audit-log.js'
import { publicView, type Device } from '../core/registry/device.js'
import { deviceRegistration, mqttCredentials, registerDevice, revokeDevice } from '../core/registry/device-registration.js'
import { FileRegistry } from '../core/registry/file-registry.js'
import { TenantPolicies } from '../core/registry/tenants.js'
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
    .option('--api-key <key>', 'FIWARE IoT Agent API key for /json/<apiKey>/… topics; it belongs to one tenant, and json and ul are refused (default: the tenant)')
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
      const candidate = {
        id: options.id,
        tenant: options.tenant,
        site: options.site,
        kind: options.kind,
        format: options.format,
        ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
        ...(options.lat !== undefined || options.lon !== undefined ? { location: { type: 'Point', coordinates: [Number(options.lon), Number(options.lat)] } } : {}),
        ...(options.entityId !== undefined ? { entityId: options.entityId } : {}),
        ...(options.wasteFraction !== undefined ? { wasteFraction: options.wasteFraction } : {}),
        ...(options.containerVolumeM3 !== undefined ? { containerVolumeM3: Number(options.containerVolumeM3) } : {}),
        ...(options.containerType !== undefined ? { containerType: options.containerType } : {}),
        ...(options.meterType !== undefined ? { meterType: options.meterType } : {}),
        ...(options.fullnessThreshold !== undefined ? { fullnessThreshold: Number(options.fullnessThreshold) } : {}),
      }
      const parsed = deviceRegistration.safeParse(candidate)
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `--${flagName(String(i.path[0]))}: ${i.message}`)
        throw new Error(`invalid device: ${problems.join('; ')}`)
      }
      const registration = { registry: new FileRegistry(config.registryFile), tenants: new TenantPolicies(config.auth.tenantsFile, config.mqtt.maxPayloadBytes), audit: new AuditLog(config.auth.auditLogFile) }
      const { device, secret } = await registerDevice(registration, parsed.data, `cli:${userInfo().username}`)
      printCredentials(device, secret, options.json === true)
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
      revokeDevice({ registry: new FileRegistry(config.registryFile), audit: new AuditLog(config.auth.auditLogFile) }, id, `cli:${userInfo().username}`)
      console.log(`removed ${id}`)
    })
}

function printCredentials(d: Device, secret: string, asJson: boolean): void {
  const credentials = mqttCredentials(d, secret)
  if (asJson) {
    console.log(JSON.stringify(credentials, null, 2))
    return
  }
  console.log(`registered ${d.id} (tenant ${d.tenant}, site ${d.site}, ${d.kind})`)
  console.log(`  MQTT username / client id: ${d.id}`)
  console.log(`  MQTT password (shown once, store it now): ${secret}`)
  for (const [name, topic] of Object.entries(credentials.topics)) console.log(`  publish ${name.padEnd(16)} ${topic}`)
}

function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}
