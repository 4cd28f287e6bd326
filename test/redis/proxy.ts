/**
 * A TCP proxy in front of Redis that can be paused: while paused, bytes from clients are held
 * (Redis sees nothing, the client sees no reply), as with a stalled network or a frozen server.
 * On resume the held bytes go through, like a network that recovers.
 */
import { once } from 'node:events'
import { type Server, type Socket, connect, createServer } from 'node:net'

/** A running proxy. */
export interface PausableProxy {
  /** `redis://127.0.0.1:port` of the proxy. */
  readonly url: string
  pause(): void
  resume(): void
  close(): Promise<void>
}

/** Starts a proxy to the Redis at `target` (`redis://host:port`). */
export async function startProxy(target: string): Promise<PausableProxy> {
  const { hostname, port } = new URL(target)
  const sockets = new Set<Socket>()
  let paused = false
  const held: Array<() => void> = []
  const server: Server = createServer((downstream) => {
    const upstream = connect(Number(port), hostname)
    sockets.add(downstream).add(upstream)
    downstream.on('data', (chunk) => {
      if (paused) held.push(() => upstream.write(chunk))
      else upstream.write(chunk)
    })
    upstream.on('data', (chunk) => downstream.write(chunk))
    const end = () => {
      downstream.destroy()
      upstream.destroy()
    }
    downstream.on('close', end).on('error', end)
    upstream.on('close', end).on('error', end)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no port')
  return {
    url: `redis://127.0.0.1:${address.port}`,
    pause: () => {
      paused = true
    },
    resume: () => {
      paused = false
      for (const flush of held.splice(0)) flush()
    },
    close: async () => {
      for (const socket of sockets) socket.destroy()
      server.close()
      await once(server, 'close')
    },
  }
}
