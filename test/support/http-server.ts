/** Serves a Fetch handler on an ephemeral loopback port with @hono/node-server, for end-to-end tests. */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'

/** A running server: its base URL and how to stop it. */
export interface RunningServer {
  readonly url: string
  close(): Promise<void>
}

/** Listens on 127.0.0.1 with port 0 (the OS picks a free port); resolves once it accepts connections. */
export function startServer(fetch: (request: Request) => Response | Promise<Response>): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            // fetch keeps connections alive: drop them, or close() waits for their idle timeout
            if ('closeAllConnections' in server) server.closeAllConnections()
            server.close((error) => (error ? fail(error) : done()))
          }),
      })
    })
    server.once('error', reject)
  })
}
