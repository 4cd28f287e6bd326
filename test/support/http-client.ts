/**
 * A browser-like visitor for HTTP tests: a cookie jar over any `fetch`-like function (a real
 * socket through `fetch`, or Miniflare's `dispatchFetch`). It records the cookies each response
 * set, honours `Max-Age=0` as a deletion, and parses JSON bodies.
 */

/** A cookie a response set. */
export interface SetCookie {
  readonly value: string
  /** Attributes as sent, e.g. `['Max-Age=1800', 'Path=/', 'Secure', 'HttpOnly', 'SameSite=Lax']`. */
  readonly attributes: readonly string[]
}

/** One answer, read whole. */
export interface Reply {
  readonly status: number
  readonly headers: Headers
  readonly body: any
  /** Cookies this response set, by name. */
  readonly set: ReadonlyMap<string, SetCookie>
}

/** Something that answers requests: `fetch`, or a worker's `dispatchFetch`. */
export type Send = (url: string, init: RequestInit) => Promise<Response>

/** A body to send: JSON-encoded unless a string; `type` defaults to application/json. */
export interface Body {
  readonly body?: unknown
  readonly type?: string
}

/** One visitor: a cookie jar. */
export class Visitor {
  readonly cookies = new Map<string, string>()

  constructor(
    readonly base: string,
    readonly send: Send = (url, init) => fetch(url, init),
  ) {}

  async request(method: string, path: string, { body, type = 'application/json' }: Body = {}): Promise<Reply> {
    const headers: Record<string, string> = {}
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    if (body !== undefined) headers['content-type'] = type
    const response = await this.send(this.base + path, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })
    const set = new Map<string, SetCookie>()
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((s) => s.trim())
      const eq = pair!.indexOf('=')
      const name = pair!.slice(0, eq)
      const cookie = { value: pair!.slice(eq + 1), attributes }
      if (set.has(name)) throw new Error(`one response set cookie ${name} twice`)
      set.set(name, cookie)
      if (attributes.includes('Max-Age=0')) this.cookies.delete(name)
      else this.cookies.set(name, cookie.value)
    }
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text), set }
  }

  get(path: string): Promise<Reply> {
    return this.request('GET', path)
  }

  post(path: string, body?: unknown): Promise<Reply> {
    return this.request('POST', path, { body })
  }

  patch(path: string, body: unknown, type?: string): Promise<Reply> {
    return this.request('PATCH', path, { body, type })
  }

  delete(path: string): Promise<Reply> {
    return this.request('DELETE', path)
  }
}
