/**
 * The JSON value of a record or line, or undefined when it is not JSON, so that the schema the
 * caller checks it against reports it like any other invalid input.
 */
export function parseJsonOrUndefined(text: Buffer | string): unknown {
  try {
    return JSON.parse(typeof text === 'string' ? text : text.toString('utf8'))
  } catch {
    return undefined
  }
}
