/**
 * Example HTTP front for sessionflow: a Hono app (runs on Node through @hono/node-server, and
 * as-is on Workers, Deno and Bun) with
 *
 *   POST  /api/sessions                 create a session (optional JSON body: public params)
 *   GET   /api/sessions?items=a,b       read (and keep alive) the visitor's session; a missing,
 *                                       tampered or expired cookie gets a new session
 *   PATCH /api/sessions                 application/json: a changes object ({ public: {...} })
 *                                       application/json-patch+json: RFC 6902 ops (/public/...)
 *
 * A signed, HttpOnly session cookie carries the session id; a segment cookie carries the segment
 * token a CDN can use as a cache key. Only the engine's writable namespaces (`public`) can be
 * written from a request body. Errors are JSON `{ error: { code, message } }` with a status
 * mapped from the error's stable `code` (see `STATUS`).
 */
import { Hono } from 'hono'
import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { getCookie, setCookie } from 'hono/cookie'
import {
  type Clock,
  type ErrorCode,
  ForbiddenWriteError,
  InvalidValueError,
  type Namespaces,
  type Session,
  type SessionEngine,
  SessionNotFoundError,
  SessionflowError,
  type TokenSigner,
  systemClock,
} from '../../src/index'

/**
 * HTTP status per error code. 4xx: the client can fix its request. TRANSFORM_LOOP is a bug in the
 * app graph (retrying cannot help): 500. TRANSFORM_FAILED means a `critical` app failed — usually
 * its upstream was down or too slow — so a retry may succeed: 503. Nothing was saved in any case.
 */
export const STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_VALUE: 400,
  FORBIDDEN_WRITE: 403,
  SESSION_NOT_FOUND: 404,
  CONFLICT: 409,
  TRANSFORM_FAILED: 503,
  TRANSFORM_LOOP: 500,
  STORE: 500,
  CONFIG: 500,
}

/** Options of {@link createSessionApp}. */
export interface SessionAppOptions {
  readonly engine: SessionEngine
  readonly signer: TokenSigner
  /** The engine's clock, to turn `expiresAt` into cookie `Max-Age`. Default: the system clock. */
  readonly clock?: Clock
  /** Largest request body accepted, bytes. Default 64 KiB: no body can usefully exceed the session size limit. */
  readonly maxBodyBytes?: number
  /** Namespaces never sent to the client (host-owned secrets such as `cookie.authToken`). Default `['cookie']`. */
  readonly hiddenNamespaces?: readonly string[]
}

/** Cookie names; sent as `__Host-sf_session` / `__Host-sf_segment` (Secure, Path=/, no Domain: no subdomain can plant one). */
export const SESSION_COOKIE = 'sf_session'
export const SEGMENT_COOKIE = 'sf_segment'

/** Builds the Hono app. */
export function createSessionApp(options: SessionAppOptions): Hono {
  const { engine, signer, clock = systemClock, maxBodyBytes = 64 * 1024 } = options
  const hidden = new Set(options.hiddenNamespaces ?? ['cookie'])
  const app = new Hono()

  app.use('/api/*', async (c, next) => {
    await next()
    // session responses are per visitor: never cached by a browser or a CDN
    c.header('Cache-Control', 'no-store')
  })
  const limit = bodyLimit({ maxSize: maxBodyBytes, onError: (c) => fail(c, 413, 'PAYLOAD_TOO_LARGE', `request body over ${maxBodyBytes} bytes`) })

  app.post('/api/sessions', limit, async (c) => {
    const body = (await readJson(c)) ?? {}
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidValueError('the body must be a changes object')
    // create() is a host call and accepts any namespace: the client may only seed the writable ones
    const forbidden = Object.entries(body)
      .filter(([ns]) => !engine.writableNamespaces.includes(ns))
      .flatMap(([ns, params]) => (typeof params === 'object' && params !== null ? Object.keys(params).map((k) => `${ns}.${k}`) : [`${ns}.*`]))
    if (forbidden.length > 0) throw new ForbiddenWriteError(forbidden, engine.writableNamespaces)
    const { session } = await engine.create(body as never)
    await issueCookies(c, session, true)
    return c.json({ session: view(session) }, 201)
  })

  app.get('/api/sessions', async (c) => {
    const items = c.req.query('items')?.split(',').map((s) => s.trim()).filter((s) => s !== '')
    const id = await signer.verify(getCookie(c, SESSION_COOKIE, 'host'))
    // get() checks `items` before reading the store: a malformed filter is a 400
    let session = id === null ? undefined : await engine.get(id, { items })
    let touched: Session
    if (session === undefined) {
      touched = (await engine.create()).session // no cookie, a forged one, or an expired session
      session = items === undefined ? touched : await engine.get(touched.id, { items })
    } else {
      touched = await engine.touch(session.id) // reading keeps the session alive (sliding expiry)
    }
    await issueCookies(c, touched, getCookie(c, SEGMENT_COOKIE, 'host') !== engine.segmentOf(touched).token)
    return c.json({ session: view({ ...session!, expiresAt: touched.expiresAt, updatedAt: touched.updatedAt }) })
  })

  app.patch('/api/sessions', limit, async (c) => {
    const id = await signer.verify(getCookie(c, SESSION_COOKIE, 'host'))
    if (id === null) throw new SessionNotFoundError('(no valid session cookie)')
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase()
    if (type !== 'application/json' && type !== 'application/json-patch+json') {
      return fail(c, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send application/json (changes) or application/json-patch+json (RFC 6902)')
    }
    const body = await readJson(c)
    if (type === 'application/json-patch+json' && !Array.isArray(body)) throw new InvalidValueError('a JSON Patch must be an array of operations')
    // client writes: the engine refuses anything outside its writable namespaces (403)
    const { session, report } =
      type === 'application/json' ? await engine.patch(id, body as never) : await engine.applyJsonPatch(id, body as unknown[])
    await issueCookies(c, session, report.segmentChanged)
    return c.json({ session: view(session), changed: report.changed.filter((p) => !hidden.has(p.slice(0, p.indexOf('.')))) })
  })

  app.notFound((c) => fail(c, 404, 'NOT_FOUND', 'no such route'))
  app.onError((error, c) => {
    if (error instanceof SessionflowError) {
      const status = STATUS[error.code] ?? 500
      // 4xx messages help the client fix its request; 5xx ones could leak internals (store hosts, app errors)
      const message = status < 500 ? error.message : `the server could not complete the request (${error.code})`
      const details: Record<string, unknown> = {}
      if (error instanceof InvalidValueError && error.path !== undefined) details.path = error.path
      if (error instanceof ForbiddenWriteError) details.params = error.params
      return fail(c, status, error.code, message, details)
    }
    return fail(c, 500, 'INTERNAL', 'the server could not complete the request')
  })

  /** Sets the session cookie (renewing its Max-Age) and, when asked, the segment cookie. */
  async function issueCookies(c: Context, session: Session, segment: boolean): Promise<void> {
    // rounded up: the cookie may outlive the session by under a second (harmless: it then reads as absent)
    const maxAge = Math.max(0, Math.ceil((session.expiresAt - clock.now()) / 1000))
    const attributes = { httpOnly: true, secure: true, sameSite: 'Lax', path: '/', maxAge, prefix: 'host' } as const
    setCookie(c, SESSION_COOKIE, await signer.sign(session.id), attributes)
    if (segment) setCookie(c, SEGMENT_COOKIE, engine.segmentOf(session).token, attributes)
  }

  /** What the client sees: no id (it lives in the HttpOnly cookie only), no hidden namespace. */
  function view(session: Session) {
    const namespaces: Record<string, Namespaces[string]> = {}
    for (const [ns, params] of Object.entries(session.namespaces)) if (!hidden.has(ns)) namespaces[ns] = params
    const { version, createdAt, updatedAt, expiresAt } = session
    return { version, createdAt, updatedAt, expiresAt, namespaces }
  }

  return app
}

/** The body as JSON (`undefined` when empty); malformed JSON is the client's error. */
async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text()
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new InvalidValueError('the request body is not valid JSON')
  }
}

function fail(c: Context, status: number, code: string, message: string, details: Record<string, unknown> = {}) {
  return c.json({ error: { code, message, ...details } }, status as 400)
}
