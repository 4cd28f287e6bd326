/** The routes: VTEX Session Manager's paths, over any Fetch-standard server. */
import type { SessionEngine } from '../core/engine'
import { InvalidValueError, SessionNotFoundError } from '../model/errors'
import type { JsonValue, Namespaces, Session } from '../model/session'
import type { CycleReport, SessionResult } from '../model/report'
import { readChanges } from '../writes/changes'
import { checkJsonPatch, jsonPatch } from '../writes/json-patch'
import { type ParamPattern, compilePatterns, selectParams } from '../util/patterns'
import { JSON_PATCH_TYPE, JSON_TYPE, mediaType, readJson, readText, requireMediaType } from './body'
import { type Captured, capturedOnCreate, cookieChanges } from './capture'
import { parseCookies, serializeCookie } from './cookies'
import { COOKIE_NAMESPACE, type HandlerSettings, QUERY_NAMESPACE, type SessionHandlerOptions, resolveOptions } from './options'
import { HttpProblem, errorResponse, json, statusOf } from './responses'
import { readNamespaces, writeNamespaces } from './wire-shape'

/** A Fetch-standard request handler: `(request) => Promise<Response>`; never rejects. */
export type SessionHandler = (request: Request) => Promise<Response>

/** The session routes. */
export const SESSIONS_PATH = '/api/sessions'
/** The segment route. */
export const SEGMENTS_PATH = '/api/segments'

/** Host-owned namespaces the handler writes from what a request carries (never from its body). */
const CAPTURE_ALLOW = [QUERY_NAMESPACE, COOKIE_NAMESPACE]

/**
 * The session endpoint over `engine`:
 *
 * - `POST /api/sessions`: creates a session (body `public` params, captured query params and
 *   cookies) or, with a valid session cookie, updates it; answers `{ sessionToken, segmentToken }`.
 * - `GET /api/sessions?items=ns.key,ns.*`: the session's params (hidden namespaces left out).
 * - `PATCH /api/sessions`: a changes object (`application/json`) or RFC 6902 operations
 *   (`application/json-patch+json`).
 * - `DELETE /api/sessions`: deletes the session and clears both cookies.
 * - `GET /api/segments`: the segment of the session, or the default one.
 *
 * Any other path answers 404 and any other method 405, both as JSON. Errors never reject: they
 * are answered with a status per code and a JSON body `{ code, message, ...details }`.
 * Throws `ConfigError` for bad options.
 */
export function createSessionHandler<S extends object>(engine: SessionEngine<S>, options: SessionHandlerOptions): SessionHandler {
  // the handler copies untyped params from requests: the untyped view of the same engine
  const untyped = engine as unknown as SessionEngine
  const settings = resolveOptions(options, untyped.ttlMs)
  const routes = new Routes(untyped, settings)
  return async (request) => {
    const exchange = new Exchange(request, settings)
    try {
      return await routes.handle(exchange)
    } catch (error) {
      // the client is gone (its request's signal aborted the call): nobody reads the answer, nothing to report
      if (request.signal?.aborted === true) return json(499, { code: 'CLIENT_CLOSED_REQUEST', message: 'the request was aborted' }, exchange.headers)
      if (statusOf(error) >= 500) {
        try {
          settings.onError?.(error, request)
        } catch {
          // a failing logger must not turn an answer into a crash
        }
      }
      return errorResponse(error, exchange.headers)
    }
  }
}

/** One request and the cookies its response will set. */
class Exchange {
  readonly url: URL
  readonly cookies: Map<string, string>
  /** `Set-Cookie` lines by cookie name: a later decision (a new session) replaces an earlier one (clearing a stale cookie). */
  readonly #setCookies = new Map<string, string>()
  /** The session cookie's id, once verified (`null`: none, or not valid). */
  #id: Promise<string | null> | undefined

  constructor(
    readonly request: Request,
    private readonly settings: HandlerSettings,
  ) {
    this.url = new URL(request.url)
    this.cookies = parseCookies(request.headers.get('cookie'))
  }

  /** The session id the request's cookie carries, when its signature is valid. */
  verifiedId(): Promise<string | null> {
    return (this.#id ??= this.settings.signer.verify(this.cookies.get(this.settings.sessionCookie)))
  }

  /** Options passing the request's signal to engine calls: a request the client abandons stops its cycle and saves nothing. */
  get call(): { signal?: AbortSignal } {
    const signal = this.request.signal
    return signal === undefined || signal === null ? {} : { signal }
  }

  /** Whether the request carried a session cookie at all (valid or not). */
  get hasSessionCookie(): boolean {
    return this.cookies.has(this.settings.sessionCookie)
  }

  setCookie(name: string, value: string, maxAgeSeconds: number, httpOnly: boolean): void {
    this.#setCookies.set(name, serializeCookie(name, value, maxAgeSeconds, this.settings.cookies, httpOnly))
  }

  /** Headers for the response, with the cookies decided so far. */
  get headers(): Headers {
    const headers = new Headers()
    for (const line of this.#setCookies.values()) headers.append('set-cookie', line)
    return headers
  }
}

class Routes {
  constructor(
    private readonly engine: SessionEngine,
    private readonly settings: HandlerSettings,
  ) {}

  handle(exchange: Exchange): Promise<Response> {
    const { pathname } = exchange.url
    const method = exchange.request.method
    if (pathname === SESSIONS_PATH) {
      if (method === 'GET') return this.read(exchange)
      if (method === 'POST') return this.upsert(exchange)
      if (method === 'PATCH') return this.update(exchange)
      if (method === 'DELETE') return this.remove(exchange)
      throw notAllowed('GET, POST, PATCH, DELETE')
    }
    if (pathname === SEGMENTS_PATH) {
      if (method === 'GET') return this.segment(exchange)
      throw notAllowed('GET')
    }
    throw new HttpProblem(404, 'NOT_FOUND', `no route for ${pathname.slice(0, 200)}: the routes are ${SESSIONS_PATH} and ${SEGMENTS_PATH}`)
  }

  /** `GET /api/sessions?items=...`: `items` is checked before anything else happens. */
  async read(exchange: Exchange): Promise<Response> {
    const filter = itemsOf(exchange.url)
    const session = await this.#current(exchange, true)
    if (session !== undefined) {
      this.#segmentCookie(exchange, session, session)
      return json(200, { id: session.id, namespaces: this.#view(session.namespaces, filter) }, exchange.headers)
    }
    const captured = capturedOnCreate(this.settings, exchange.url, exchange.cookies)
    if (!this.settings.lazy) {
      const created = (await this.engine.create(captured, exchange.call)).session
      await this.#sessionCookie(exchange, created)
      this.#segmentCookie(exchange, created, created)
      return json(200, { id: created.id, namespaces: this.#view(created.namespaces, filter) }, exchange.headers)
    }
    // lazy: what a session created now would hold, without storing it or giving out a cookie
    const pure = await this.engine.runCreate(captured, exchange.call)
    this.#segmentCookie(exchange, pure, undefined)
    return json(200, { id: null, namespaces: this.#view(pure.namespaces, filter) }, exchange.headers)
  }

  /** `POST /api/sessions`: create, or update the `public` params of the cookie's session (upsert). */
  async upsert(exchange: Exchange): Promise<Response> {
    const body = await this.#changesBody(exchange, true)
    const captured = capturedOnCreate(this.settings, exchange.url, exchange.cookies)
    const current = await this.#current(exchange, false)
    let session: Session
    let status = 200
    if (current === undefined) {
      session = (await this.engine.create(merge(captured, body), exchange.call)).session
      status = 201
    } else {
      const changes = merge(captured, body)
      delete changes[COOKIE_NAMESPACE]
      await this.#withCookies(exchange, current, changes)
      try {
        const patched = await this.engine.patch(current.id, changes, { allow: CAPTURE_ALLOW, ...exchange.call })
        session = await this.#renewed(exchange, await this.#rotatedIfDue(exchange, patched.session, [patched.report]))
      } catch (error) {
        // deleted or expired since it was read (a logout in another tab): an upsert creates
        if (!(error instanceof SessionNotFoundError)) throw error
        session = (await this.engine.create(merge(captured, body), exchange.call)).session
        status = 201
      }
    }
    const sessionToken = await this.#sessionCookie(exchange, session)
    const segmentToken = this.#segmentCookie(exchange, session, session)
    return json(status, { sessionToken, segmentToken }, exchange.headers)
  }

  /** `PATCH /api/sessions`: a changes object or a JSON Patch on the cookie's session. */
  async update(exchange: Exchange): Promise<Response> {
    const type = requireMediaType(exchange.request, [JSON_TYPE, JSON_PATCH_TYPE])
    let ops: unknown[] | undefined
    let changes: Captured | undefined
    if (type === JSON_PATCH_TYPE) {
      const body = await readJson(exchange.request, this.settings.maxBodyBytes)
      // checked (shape, values, writable namespaces) before the session is read or anything written
      checkJsonPatch(body, new Set(this.engine.writableNamespaces), this.engine.limits)
      ops = body as unknown[]
    } else {
      changes = { ...(await this.#changesBody(exchange, false)) }
    }
    const current = await this.#current(exchange, false)
    if (current === undefined) throw new SessionNotFoundError('(no valid session cookie: POST /api/sessions first)')
    let result: SessionResult
    const reports: CycleReport[] = []
    if (ops === undefined) {
      await this.#withCookies(exchange, current, changes!)
      result = await this.engine.patch(current.id, changes!, { allow: [COOKIE_NAMESPACE], ...exchange.call })
    } else {
      const cookie: Captured = {}
      // cookie sync is a fact about the request, applied whatever the patch does: idempotent, and
      // the engine has no call that applies operations and host changes in one cycle
      if (await this.#withCookies(exchange, current, cookie)) {
        reports.push((await this.engine.patch(current.id, cookie, { allow: [COOKIE_NAMESPACE], ...exchange.call })).report)
      }
      result = await this.engine.patch(current.id, jsonPatch(ops), exchange.call)
    }
    reports.push(result.report)
    const session = await this.#renewed(exchange, await this.#rotatedIfDue(exchange, result.session, reports))
    await this.#sessionCookie(exchange, session)
    this.#segmentCookie(exchange, session, session)
    return json(200, { id: session.id, namespaces: this.#view(session.namespaces, undefined) }, exchange.headers)
  }

  /** `DELETE /api/sessions`: logout. Idempotent: without a session it only clears the cookies. */
  async remove(exchange: Exchange): Promise<Response> {
    const id = await exchange.verifiedId()
    if (id !== null) await this.engine.delete(id, exchange.call)
    exchange.setCookie(this.settings.sessionCookie, '', 0, true)
    exchange.setCookie(this.settings.segmentCookie, '', 0, false)
    const headers = exchange.headers
    headers.set('cache-control', 'no-store')
    return new Response(null, { status: 204, headers })
  }

  /** `GET /api/segments`: the session's segment, or the one a new session would have. */
  async segment(exchange: Exchange): Promise<Response> {
    const session = await this.#current(exchange, true)
    const source = session ?? (await this.engine.runCreate(capturedOnCreate(this.settings, exchange.url, exchange.cookies), exchange.call))
    const { segment, view } = this.engine.segmentOf(source)
    this.#segmentCookie(exchange, source, session)
    return json(200, view ?? segment, exchange.headers)
  }

  /**
   * The cookie's session, or `undefined` (no cookie, a forged or unknown-key one, an expired or
   * deleted session): never an error, never another visitor's session. A stale cookie is cleared.
   * A read renews the expiry when it was last renewed `touchAfterMs` ago or more.
   */
  async #current(exchange: Exchange, read: boolean): Promise<Session | undefined> {
    const id = await exchange.verifiedId()
    const session = id === null ? undefined : await this.engine.get(id, exchange.call)
    if (session === undefined) {
      if (exchange.hasSessionCookie) exchange.setCookie(this.settings.sessionCookie, '', 0, true)
      return undefined
    }
    if (!read) return session
    const renewed = await this.#renewed(exchange, session)
    if (renewed !== session) await this.#sessionCookie(exchange, renewed)
    return renewed
  }

  /**
   * The session, its expiry renewed when it was last renewed
   * `touchAfterMs` ago or more: reads and writes that change nothing keep an active visitor's
   * session alive at the cost of one store write per `touchAfterMs`, not one per request.
   */
  async #renewed(exchange: Exchange, session: Session): Promise<Session> {
    if (this.engine.clock.now() - session.updatedAt < this.settings.touchAfterMs) return session
    return this.engine.touch(session.id, exchange.call)
  }

  /** The session under a new id when one of these calls changed a `rotateIdOn` param; else the session itself. */
  async #rotatedIfDue(exchange: Exchange, session: Session, reports: readonly CycleReport[]): Promise<Session> {
    const trigger = this.settings.rotateIdOn
    if (trigger === undefined) return session
    const due = reports.some((report) => report.changed.some((param) => {
      const dot = param.indexOf('.')
      return trigger.matches(param.slice(0, dot), param.slice(dot + 1))
    }))
    return due ? this.engine.rotateId(session.id, exchange.call) : session
  }

  /** Adds to `changes` the cookie changes the request calls for; whether there were any. */
  async #withCookies(exchange: Exchange, session: Session, changes: Captured): Promise<boolean> {
    if (this.settings.capturedCookies === undefined) return false
    // only the captured cookies: host code may keep other params in the same namespace
    const stored = selectParams(session.namespaces, this.settings.capturedCookies)[COOKIE_NAMESPACE]
    const cookie = cookieChanges(this.settings, exchange.cookies, stored)
    if (cookie === undefined) return false
    changes[COOKIE_NAMESPACE] = cookie
    return true
  }

  /** A client's changes body, checked against the writable namespaces (403) and values (400) before anything runs. */
  async #changesBody(exchange: Exchange, optional: boolean): Promise<Captured> {
    const { request } = exchange
    // a POST without a body (nor a media type) creates a session from what the request carries
    if (optional && mediaType(request) === undefined && (await readText(request, this.settings.maxBodyBytes)).trim() === '') return {}
    requireMediaType(request, [JSON_TYPE])
    const body = await readJson(request, this.settings.maxBodyBytes)
    if (body === undefined && !optional) throw new InvalidValueError('a PATCH needs a body')
    const namespaces = readNamespaces(body, this.settings.wire, this.engine.limits)
    readChanges(namespaces, this.engine.limits, new Set(this.engine.writableNamespaces))
    return namespaces as Captured
  }

  /** Sets the signed session cookie, its Max-Age following the session's expiry; returns the token. */
  async #sessionCookie(exchange: Exchange, session: Session): Promise<string> {
    const token = await this.settings.signer.sign(session.id)
    exchange.setCookie(this.settings.sessionCookie, token, this.#secondsLeft(session), true)
    return token
  }

  /** Sets the segment cookie when the request carried another one; returns the token. */
  #segmentCookie(exchange: Exchange, source: { readonly namespaces: Namespaces }, session: Session | undefined): string {
    const { token } = this.engine.segmentOf(source)
    if (exchange.cookies.get(this.settings.segmentCookie) !== token) {
      const maxAge = session === undefined ? this.engine.ttlMs / 1000 : this.#secondsLeft(session)
      exchange.setCookie(this.settings.segmentCookie, token, maxAge, false)
    }
    return token
  }

  #secondsLeft(session: Session): number {
    // rounded up: the cookie may outlive the session by under a second (it then reads as absent)
    return (session.expiresAt - this.engine.clock.now()) / 1000
  }

  /** What a response shows: hidden namespaces left out, then `items`, in the wire shape. */
  #view(namespaces: Namespaces, filter: ParamPattern | undefined): unknown {
    let visible: Namespaces = namespaces
    if (this.settings.hidden.size > 0 && Object.keys(namespaces).some((ns) => this.settings.hidden.has(ns))) {
      visible = Object.fromEntries(Object.entries(namespaces).filter(([ns]) => !this.settings.hidden.has(ns)))
    }
    return writeNamespaces(filter === undefined ? visible : selectParams(visible, filter), this.settings.wire)
  }
}

/** `?items=a,b&items=c` as one filter; `undefined` without `items`. Throws `InvalidValueError` (400) when malformed. */
function itemsOf(url: URL): ParamPattern | undefined {
  const values = url.searchParams.getAll('items')
  if (values.length === 0) return undefined
  const items = values.flatMap((value) => value.split(',')).map((item) => item.trim()).filter((item) => item !== '')
  return compilePatterns(items)
}

/** Host captures under the client's body: for a param in both, the body (the client's explicit write) wins. */
function merge(captured: Captured, body: Captured): Captured {
  const merged: Captured = { ...captured }
  for (const [ns, params] of Object.entries(body)) merged[ns] = { ...merged[ns], ...(params as Record<string, JsonValue>) }
  return merged
}

function notAllowed(allow: string): HttpProblem {
  return new HttpProblem(405, 'METHOD_NOT_ALLOWED', `allowed: ${allow}`, { allow })
}
