/**
 * Just enough YAML for Grafana's provisioning files: block mappings and sequences by indentation,
 * plain and quoted scalars, comments. Anything else (flow collections, multi-line strings,
 * anchors) is refused rather than misread.
 */
export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml }

interface Line {
  readonly indent: number
  readonly text: string
  readonly no: number
}

/** Grafana expands `$NAME` and `${NAME}` from its environment before it reads a provisioning file; unset names become empty. */
export function expandEnv(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced?: string, bare?: string) => env[(braced ?? bare)!] ?? '')
}

export function parseYaml(text: string): Yaml {
  const lines: Line[] = []
  text.split('\n').forEach((raw, i) => {
    const content = stripComment(raw).trimEnd()
    if (content.trim() === '') return
    if (/\t/.test(content.slice(0, content.length - content.trimStart().length))) throw new SyntaxError(`line ${i + 1}: tab in indentation`)
    lines.push({ indent: content.length - content.trimStart().length, text: content.trimStart(), no: i + 1 })
  })
  let at = 0
  const isItem = (line: Line | undefined): boolean => line !== undefined && (line.text === '-' || line.text.startsWith('- '))
  const fail = (line: Line, why: string): never => {
    throw new SyntaxError(`line ${line.no}: ${why}: ${line.text}`)
  }

  function block(indent: number): Yaml {
    return isItem(lines[at]) ? sequence(indent) : mapping(indent)
  }

  function mapping(indent: number): { [key: string]: Yaml } {
    const out: { [key: string]: Yaml } = {}
    while (at < lines.length && lines[at]!.indent === indent && !isItem(lines[at])) {
      const line = lines[at++]!
      const pair = /^([A-Za-z0-9_.-]+):(?:\s+(.*))?$/.exec(line.text) ?? fail(line, 'expected key: value')
      const key = pair[1]!
      if (key in out) fail(line, `duplicate key ${key}`)
      const next = lines[at]
      if (pair[2] !== undefined) out[key] = scalar(pair[2], line)
      else if (next && (next.indent > indent || (next.indent === indent && isItem(next)))) out[key] = block(next.indent)
      else out[key] = null
    }
    if (at < lines.length && lines[at]!.indent > indent) fail(lines[at]!, 'unexpected indentation')
    return out
  }

  function sequence(indent: number): Yaml[] {
    const out: Yaml[] = []
    while (at < lines.length && lines[at]!.indent === indent && isItem(lines[at])) {
      const line = lines[at]!
      const content = line.text.slice(1).trimStart()
      if (content === '') {
        at++
        out.push(lines[at] && lines[at]!.indent > indent ? block(lines[at]!.indent) : null)
      } else if (/^[A-Za-z0-9_.-]+:(\s|$)/.test(content)) {
        // `- key: value` starts a mapping whose keys line up with `key`.
        const itemIndent = indent + (line.text.length - content.length)
        lines[at] = { indent: itemIndent, text: content, no: line.no }
        out.push(mapping(itemIndent))
      } else {
        at++
        out.push(scalar(content, line))
      }
    }
    return out
  }

  const result = lines.length === 0 ? null : block(lines[0]!.indent)
  if (at < lines.length) fail(lines[at]!, 'unexpected line')
  return result
}

function stripComment(line: string): string {
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote) {
      if (c === quote) quote = undefined
    } else if (c === '"' || c === "'") quote = c
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i)
  }
  return line
}

function scalar(text: string, line: Line): Yaml {
  if (/^[[{|>&*!]/.test(text)) throw new SyntaxError(`line ${line.no}: unsupported YAML: ${text}`)
  const quoted = /^"((?:[^"\\]|\\.)*)"$|^'((?:[^']|'')*)'$/.exec(text)
  if (quoted) return quoted[1] !== undefined ? (JSON.parse(`"${quoted[1]}"`) as string) : quoted[2]!.replaceAll("''", "'")
  if (/^(true|false)$/.test(text)) return text === 'true'
  if (/^(null|~)$/.test(text)) return null
  if (/^[-+]?\d+(\.\d+)?$/.test(text)) return Number(text)
  return text
}
