import type { Bus, Consumption, IncomingRecord } from '../core/bus/bus.js'
import { commandEvent, type PendingCommand } from '../core/commands/device-command.js'
import type { Config } from '../core/config.js'
import { parseJsonOrUndefined } from '../core/json.js'
import type { Logger } from '../core/logger.js'
import type { DeviceRegistry } from '../core/registry/registry.js'
import { commandMessage, type CommandMessage } from '../ingest/commands.js'

/** The consumer group the broker instances share for sending commands: each command is sent by one of them. */
export function commandDispatchGroup(config: Config): string {
  return `${config.bus.groupPrefix}-command-dispatch`
}

export interface CommandDispatchDeps {
  readonly config: Config
  readonly bus: Bus
  readonly registry: DeviceRegistry
  readonly logger: Logger
  /** Publishes at QoS 1 through the broker; resolves once it is handed to the subscribers' sessions (queued for one offline). */
  readonly send: (message: CommandMessage) => Promise<void>
}

/**
 * Sends each pending command to its device, on the command topic of the device's format. The
 * offset is committed after the broker has taken the message: with a persistent session the
 * message waits in the session store while the device is offline, and, with the Redis session
 * store, reaches the device on whichever broker instance it connects to. A broker that stops
 * between sending and committing sends it again from the next instance: a device may see a
 * command twice (at least once), and its answer names the command it answers.
 */
export async function startCommandDispatch(deps: CommandDispatchDeps): Promise<Consumption> {
  const { config, bus, logger } = deps
  const topic = config.bus.topics.deviceCommands
  await bus.ensureTopics([{ topic, partitions: config.bus.partitions }])
  return bus.consume({
    groupId: commandDispatchGroup(config),
    topics: [topic],
    // A new dispatch group sends what is retained and not expired yet: commands live at most 7 days.
    startAt: 'earliest',
    handleBatch: async (records) => {
      for (const record of records) {
        const command = pendingCommand(record)
        if (command === 'other') continue
        if (command === undefined) {
          logger.warn({ partition: record.partition, offset: record.offset }, 'a record on the commands topic is no command; skipped')
          continue
        }
        await dispatch(deps, command, Date.now())
      }
    },
  }).catch((error: unknown) => {
    logger.error({ err: error }, 'command dispatch did not start')
    throw error
  })
}

async function dispatch(deps: CommandDispatchDeps, command: PendingCommand, now: number): Promise<void> {
  const log = { commandId: command.commandId, deviceId: command.deviceId, name: command.name }
  if (now > command.expiresAt) {
    deps.logger.info(log, 'command expired before it could be sent; not sent')
    return
  }
  const device = deps.registry.get(command.deviceId)
  // Revoked, or registered again since it was asked for (perhaps for another tenant).
  if (device === undefined || device.tenant !== command.tenant || (command.registeredAt !== undefined && device.createdAt !== command.registeredAt)) {
    deps.logger.warn(log, 'command not sent: the device is no longer registered for its tenant')
    return
  }
  await deps.send(commandMessage(device, command))
  deps.logger.info({ ...log, expiresAt: new Date(command.expiresAt).toISOString() }, 'command sent')
}

/** The pending command a record holds; `other` for the later steps of a command, undefined for what is no command event. */
function pendingCommand(record: IncomingRecord): PendingCommand | 'other' | undefined {
  const parsed = commandEvent.safeParse(parseJsonOrUndefined(record.value))
  if (!parsed.success) return undefined
  return parsed.data.phase === 'pending' ? parsed.data : 'other'
}
