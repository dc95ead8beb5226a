import { lookup as dnsLookup } from 'node:dns/promises'
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP, type LookupFunction } from 'node:net'
import { PlatformError } from '../../models/errors.js'

/**
 * Where the notifier may send alerts (webhooks, Open311 endpoints). Whoever edits a tenant's alert
 * rules chooses these URLs, and the notifier sends them secrets (HMAC signatures, Open311 api keys),
 * so a URL naming an internal service would make the notifier a proxy into the platform's network
 * (server-side request forgery). A target must be http(s) without credentials in the URL, and every
 * address its host resolves to must be public unless `ALERT_TARGETS_ALLOW` allows it. The host is
 * resolved once per request, the addresses checked, and the connection made to the checked address
 * (a DNS answer that changes between check and connect cannot redirect it); Host and TLS SNI keep
 * the name from the URL. Redirects are never followed.
 */

/** What an address is, by the IANA special-purpose address registries. */
export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'unspecified' | 'multicast' | 'special'

interface Block {
  readonly base: bigint
  readonly prefix: number
  readonly bits: 32 | 128
}

interface ClassifiedBlock extends Block {
  readonly kind: AddressClass | 'ipv4-mapped' | 'nat64'
}

/** An address as a number: 32 bits for IPv4, 128 for IPv6 (IPv4-mapped IPv6 stays IPv6 here). */
interface ParsedAddress {
  readonly value: bigint
  readonly bits: 32 | 128
}

const ipv4Blocks: readonly ClassifiedBlock[] = [
  ['0.0.0.0/8', 'unspecified'], // "this network"; 0.0.0.0 reaches the local host on most systems
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'private'], // shared address space (carrier-grade NAT)
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'], // includes cloud metadata services (169.254.169.254)
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'special'], // IETF protocol assignments
  ['192.0.2.0/24', 'special'], // documentation
  ['192.88.99.0/24', 'special'], // 6to4 relay anycast
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'special'], // benchmarking
  ['198.51.100.0/24', 'special'], // documentation
  ['203.0.113.0/24', 'special'], // documentation
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'special'], // reserved, and the broadcast address
].map(([cidr, kind]) => ({ ...parseCidr(cidr as string), kind: kind as AddressClass }))

const ipv6Blocks: readonly ClassifiedBlock[] = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'ipv4-mapped'], // judged by the IPv4 address inside
  ['::/96', 'special'], // IPv4-compatible (deprecated)
  ['64:ff9b::/96', 'nat64'], // well-known NAT64 prefix: judged by the IPv4 address inside
  ['64:ff9b:1::/48', 'private'], // local-use NAT64
  ['100::/64', 'special'], // discard-only
  ['2001::/23', 'special'], // IETF protocol assignments, Teredo
  ['2001:db8::/32', 'special'], // documentation
  ['2002::/16', 'special'], // 6to4
  ['3fff::/20', 'special'], // documentation
  ['5f00::/16', 'special'], // segment routing
  ['fc00::/7', 'private'], // unique local
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'], // site-local (deprecated)
  ['ff00::/8', 'multicast'],
].map(([cidr, kind]) => ({ ...parseCidr(cidr as string), kind: kind as ClassifiedBlock['kind'] }))

/**
 * The class of an IP address (IPv4, IPv6, IPv4-mapped IPv6, with or without a zone); anything that
 * is not an address counts as `special`. Most specific block first, so `::1` is loopback before
 * `::/96` makes it IPv4-compatible.
 */
export function classifyAddress(address: string): AddressClass {
  const parsed = parseAddress(address)
  if (!parsed) return 'special'
  const v4 = embeddedIpv4(parsed)
  if (v4 !== undefined) {
    const block = mostSpecific(ipv4Blocks, v4)
    return block?.kind === undefined ? 'public' : (block.kind as AddressClass)
  }
  const block = mostSpecific(ipv6Blocks, parsed)
  if (block === undefined) return 'public'
  return block.kind as AddressClass
}

/** The IPv4 address an address stands for: itself, or the one inside an IPv4-mapped or NAT64 IPv6 address. */
function embeddedIpv4(address: ParsedAddress): ParsedAddress | undefined {
  if (address.bits === 32) return address
  const block = mostSpecific(ipv6Blocks, address)
  return block?.kind === 'ipv4-mapped' || block?.kind === 'nat64' ? { value: address.value & 0xffffffffn, bits: 32 } : undefined
}

function mostSpecific(blocks: readonly ClassifiedBlock[], address: ParsedAddress): ClassifiedBlock | undefined {
  let best: ClassifiedBlock | undefined
  for (const block of blocks) if (contains(block, address) && (best === undefined || block.prefix > best.prefix)) best = block
  return best
}

function contains(block: Block, address: ParsedAddress): boolean {
  if (block.bits !== address.bits) return false
  const shift = BigInt(block.bits - block.prefix)
  return address.value >> shift === block.base >> shift
}

function parseCidr(cidr: string): Block {
  const [address, prefix] = cidr.split('/')
  const parsed = parseAddress(address ?? '')
  if (!parsed) throw new Error(`not an address: ${cidr}`)
  const length = prefix === undefined ? parsed.bits : Number(prefix)
  if (!Number.isInteger(length) || length < 0 || length > parsed.bits) throw new Error(`not a prefix length: ${cidr}`)
  return { base: parsed.value, prefix: length, bits: parsed.bits }
}

/** A textual address (as `net.isIP` accepts it, brackets and zone allowed) as a number. */
function parseAddress(text: string): ParsedAddress | undefined {
  const address = text.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '')
  const family = isIP(address)
  if (family === 4) return { value: ipv4Value(address), bits: 32 }
  if (family !== 6) return undefined
  let groups = address.toLowerCase()
  // A dotted IPv4 tail (::ffff:127.0.0.1) becomes two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(groups)
  if (dotted) {
    const v4 = ipv4Value(dotted[1]!)
    groups = `${groups.slice(0, dotted.index)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`
  }
  const [head, tail] = groups.split('::') as [string, string | undefined]
  const headGroups = head === '' ? [] : head.split(':')
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':')
  const all = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups]
  return { value: all.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n), bits: 128 }
}

function ipv4Value(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n)
}

/** Allowed although not public: CIDR blocks (an IPv4 block also covers its IPv4-mapped IPv6 form) and host names. */
class AllowList {
  private readonly blocks: Block[] = []
  private readonly names = new Set<string>()
  private readonly suffixes: string[] = []

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      if (isIP(entry.split('/')[0] ?? '') !== 0) this.blocks.push(parseCidr(entry))
      else if (entry.startsWith('*.')) this.suffixes.push(normalHost(entry.slice(1)))
      else this.names.add(normalHost(entry))
    }
  }

  allowsHost(host: string): boolean {
    const name = normalHost(host)
    return this.names.has(name) || this.suffixes.some((suffix) => name.endsWith(suffix))
  }

  allowsAddress(address: string): boolean {
    const parsed = parseAddress(address)
    if (!parsed) return false
    const v4 = embeddedIpv4(parsed)
    return this.blocks.some((block) => contains(block, parsed) || (v4 !== undefined && contains(block, v4)))
  }
}

function normalHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '')
}

/** A target that passed the check: the URL, and the address to connect to. */
export interface CheckedTarget {
  readonly url: URL
  readonly address: string
  readonly family: 4 | 6
}

export type Resolver = (hostname: string) => Promise<readonly { address: string; family: number }[]>

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true })

export interface DeliveryTargetOptions {
  /** Resolves host names; the system resolver (`dns.lookup`, as the HTTP client would) by default. */
  readonly resolve?: Resolver
  /** Extra trusted certificate authorities for https targets (PEM); the system's by default. */
  readonly ca?: string
}

/** What a request got back. */
export interface TargetResponse {
  readonly status: number
  readonly body: string
}

export interface TargetRequest {
  readonly method: 'GET' | 'POST'
  readonly headers?: Record<string, string>
  readonly body?: Buffer | string
  readonly timeoutMs: number
}

/** Answers longer than this are cut: a receiver's answer is read for ids and errors only. */
const maxResponseBytes = 1024 * 1024

/**
 * The policy on delivery targets, from `ALERT_TARGETS_ALLOW`, and the HTTP client that holds to it.
 * `check` refuses with a `DELIVERY_TARGET_REFUSED` error whose message says why; a host name that
 * does not resolve is not a refusal but a failure to reach it (an `Error` from the resolver).
 */
export class DeliveryTargets {
  private readonly allow: AllowList
  private readonly resolve: Resolver

  constructor(
    allow: readonly string[] = [],
    private readonly options: DeliveryTargetOptions = {},
  ) {
    this.allow = new AllowList(allow)
    this.resolve = options.resolve ?? systemResolver
  }

  /** What is wrong with a URL before any resolution (scheme, credentials), or undefined. */
  static urlProblem(url: URL): string | undefined {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme ${url.protocol.replace(/:$/, '')} is not allowed; use http or https`
    if (url.username !== '' || url.password !== '') return 'credentials in the URL are not allowed'
    if (url.hostname === '') return 'the URL has no host'
    return undefined
  }

  /** Why an address of this host may not be reached, or undefined when it may. */
  addressProblem(host: string, address: string): string | undefined {
    if (this.allow.allowsHost(host) || this.allow.allowsAddress(address)) return undefined
    const kind = classifyAddress(address)
    if (kind === 'public') return undefined
    const shown = isIP(host.replace(/^\[(.*)\]$/, '$1')) !== 0 ? `address ${address}` : `${host} resolves to ${address}, which`
    return `${shown} is ${kind === 'special' ? 'a special-purpose address' : `a ${kind} address`}; delivery targets must be public unless ALERT_TARGETS_ALLOW lists them`
  }

  /**
   * Checks a target and resolves its host once: every address must be allowed (one bad answer
   * among good ones refuses it, as the client could connect to any). Returns the address to connect to.
   */
  async check(target: string): Promise<CheckedTarget> {
    let url: URL
    try {
      url = new URL(target)
    } catch {
      throw refused('not a URL')
    }
    const problem = DeliveryTargets.urlProblem(url)
    if (problem) throw refused(problem)
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    const literal = isIP(host)
    const addresses = literal !== 0 ? [{ address: host, family: literal }] : await this.resolve(host)
    if (addresses.length === 0) throw new Error(`${host} has no address`)
    for (const { address } of addresses) {
      const why = this.addressProblem(url.hostname, address)
      if (why) throw refused(why)
    }
    const first = addresses[0]!
    return { url, address: first.address, family: first.family === 6 ? 6 : 4 }
  }

  /**
   * One HTTP request to a checked target, connected to the address the check approved (a
   * `lookup` that answers with it, so the name is not resolved again); Host and SNI carry the
   * URL's name. Redirects are answers like any other, never followed.
   */
  async request(target: string, init: TargetRequest): Promise<TargetResponse> {
    const deadline = AbortSignal.timeout(init.timeoutMs)
    const { url, address, family } = await beforeDeadline(this.check(target), deadline, init.timeoutMs)
    if (deadline.aborted) throw timeoutError(init.timeoutMs)
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if (options.all) callback(null, [{ address, family }])
      else callback(null, address, family)
    }
    const headers: OutgoingHttpHeaders = { ...init.headers, host: url.host }
    if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body)
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise<TargetResponse>((resolve, reject) => {
      const request = send({
        protocol: url.protocol,
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: init.method,
        headers,
        lookup: pinned,
        // A connection of its own: a pooled one could outlive a change of policy.
        agent: false,
        ...(url.protocol === 'https:' && this.options.ca !== undefined ? { ca: this.options.ca } : {}),
      })
      const onAbort = (): void => void request.destroy(timeoutError(init.timeoutMs))
      deadline.addEventListener('abort', onAbort, { once: true })
      request.on('error', (error) => {
        deadline.removeEventListener('abort', onAbort)
        reject(error)
      })
      request.on('response', (response: IncomingMessage) => {
        const chunks: Buffer[] = []
        let size = 0
        response.on('data', (chunk: Buffer) => {
          if (size < maxResponseBytes) chunks.push(chunk.subarray(0, maxResponseBytes - size))
          size += chunk.length
        })
        response.on('error', reject)
        response.on('end', () => {
          deadline.removeEventListener('abort', onAbort)
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') })
        })
      })
      request.end(init.body)
    })
  }
}

function refused(why: string): PlatformError {
  return new PlatformError('DELIVERY_TARGET_REFUSED', `target refused: ${why}`, { reason: why })
}

/** Whether a failure was the target's refusal (final) rather than a failure to reach it (retried). */
export function isTargetRefusal(error: unknown): error is PlatformError {
  return PlatformError.is(error, 'DELIVERY_TARGET_REFUSED')
}

function timeoutError(timeoutMs: number): Error {
  const error = new Error(`no answer within ${timeoutMs} ms`)
  error.name = 'TimeoutError'
  return error
}

/** The work's outcome, or a timeout once the signal fires first (a slow resolver counts against the attempt). */
function beforeDeadline<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(timeoutError(timeoutMs))
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: Error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
