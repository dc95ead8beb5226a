import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/**
 * How the receiver answers one request: a status, optionally headers, a body and a wait before
 * answering (to be slower than a client's timeout), or no answer at all.
 */
export type Answer = { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string; readonly delayMs?: number } | 'hang'

export interface HttpReceiver {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /** Every request, in arrival order, with its whole body. */
  readonly received: ReceivedRequest[]
  /** Sets how the next requests are answered: each takes the next answer, the last one repeats. */
  answer(...answers: Answer[]): void
  /** Answers each request by what it is, e.g. by its body, where arrival order is not fixed. */
  answerWith(choose: (request: ReceivedRequest) => Answer): void
  close(): Promise<void>
}

/**
 * A real HTTP server on 127.0.0.1 and a port of its own, standing in for a service the platform
 * calls over HTTP (a city's webhook receiver, InfluxDB's failure answers). It answers 204 unless
 * told otherwise; `hang` never answers, to make a client time out.
 */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const received: ReceivedRequest[] = []
  let script: Answer[] = [{ status: 204 }]
  let choose: ((request: ReceivedRequest) => Answer) | undefined
  const hanging = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) }
      received.push(request)
      const answer = choose ? choose(request) : script.length > 1 ? script.shift()! : script[0]!
      if (answer === 'hang') {
        hanging.add(res)
        return
      }
      if (answer.delayMs === undefined) return void res.writeHead(answer.status, answer.headers).end(answer.body)
      setTimeout(() => {
        // The client may have given up meanwhile.
        if (!res.destroyed) res.writeHead(answer.status, answer.headers).end(answer.body)
      }, answer.delayMs)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (...answers) => {
      choose = undefined
      script = answers.length > 0 ? answers : [{ status: 204 }]
    },
    answerWith: (chooser) => {
      choose = chooser
    },
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
