import { PlatformError } from '../../models/errors.js'

/** The PlatformError `run` throws, so a test can check its code and message; anything else fails the test. */
export function refusal(run: () => unknown): PlatformError {
  try {
    run()
  } catch (error) {
    if (PlatformError.is(error)) return error
    throw error
  }
  throw new Error('expected a refusal')
}
