import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs'
import { dirname } from 'node:path'

/**
 * Makes sure `path` exists and only its owner may read or write it (0600), whatever the umask
 * and however it was created before: the platform's state files hold every reading, alert and
 * registration. SQLite gives the journal files it makes beside a database the database's mode.
 */
export function ensurePrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true })
  closeSync(openSync(path, 'a', 0o600))
  chmodSync(path, 0o600)
}
