import type { Server } from 'node:net'

/** Listens on `port`; resolves with the port actually bound, rejects with the socket error. */
export function listenOn(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening)
      reject(error)
    }
    const onListening = (): void => {
      server.off('error', onError)
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : port)
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(port, host)
  })
}

/**
 * Binds the explicitly configured port, or else the standard one, moving on to the next ports
 * when it is taken (another MQTT broker often holds 1883). Says which port it took.
 */
export async function listenPreferring(server: Server, host: string, configured: number | undefined, standard: number): Promise<{ port: number; moved: boolean }> {
  if (configured !== undefined) return { port: await listenOn(server, host, configured), moved: false }
  for (let port = standard; port < standard + 10; port++) {
    try {
      return { port: await listenOn(server, host, port), moved: port !== standard }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    }
  }
  return { port: await listenOn(server, host, 0), moved: true }
}
