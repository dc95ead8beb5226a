import { execFileSync } from 'node:child_process'

/**
 * Starts the real services (Kafka, InfluxDB) once before the suite. The script is idempotent:
 * when they already run this is a quick check. Set CIRCULAR_TEST_SKIP_SERVICES=1 to run only
 * the pure unit tests without them.
 */
export default function setup(): void {
  if (process.env.CIRCULAR_TEST_SKIP_SERVICES === '1') return
  execFileSync('bash', ['deploy/local/services.sh', 'up'], { stdio: 'inherit' })
}
