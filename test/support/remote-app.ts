/**
 * A real HTTP server on 127.0.0.1 (node:http, ephemeral port) serving VTEX-style session transform
 * endpoints, for the remote-app tests and the VTEX demo.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What a route answers: status, body text (already serialized) and headers; or a custom writer. */
export type RemoteAnswer =
  | { readonly status?: number; readonly body?: string; readonly delayMs?: number; readonly headers?: Record<string, string> }
  | ((req: IncomingMessage, res: ServerResponse, body: string) => void)

/** A route: `(parsed request body) => answer`. */
export type RemoteRoute = (body: unknown) => RemoteAnswer | Promise<RemoteAnswer>

/** A running remote-app server. */
export interface RemoteServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  /** Requests received, per path, with their parsed bodies and headers. */
  readonly requests: Array<{ path: string; body: unknown; headers: IncomingMessage['headers'] }>
  /** TCP connections accepted so far (keep-alive reuses them). */
  connections(): number
  close(): Promise<void>
}

/** `{ ns: { key: { value } } }` from `{ ns: { key: value } }`: what a VTEX app writes back. */
export function vtexBody(namespaces: Record<string, Record<string, unknown>>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(namespaces).map(([ns, params]) => [ns, Object.fromEntries(Object.entries(params).map(([k, value]) => [k, { value }]))])))
}

/** Starts a server routing `POST <path>` to `routes[path]`; 404 elsewhere. */
export function startRemoteServer(routes: Record<string, RemoteRoute>): Promise<RemoteServer> {
  const requests: RemoteServer['requests'] = []
  let connections = 0
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        body = text
      }
      const path = req.url ?? '/'
      requests.push({ path, body, headers: req.headers })
      const route = routes[path]
      if (req.method !== 'POST' || route === undefined) {
        res.writeHead(404).end()
        return
      }
      void Promise.resolve(route(body)).then((answer) => {
        if (typeof answer === 'function') return answer(req, res, text)
        const send = () => {
          if (res.destroyed) return
          res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', ...answer.headers })
          res.end(answer.body ?? '')
        }
        if (answer.delayMs === undefined) send()
        else setTimeout(send, answer.delayMs)
      })
    })
  })
  server.on('connection', () => connections++)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        requests,
        connections: () => connections,
        close: () =>
          new Promise<void>((done, fail) => {
            // fetch keeps connections alive: drop them, or close() waits for their idle timeout
            server.closeAllConnections()
            server.close((error) => (error ? fail(error) : done()))
          }),
      })
    })
  })
}
