import type { TokenSigner } from '../features/token'
import { ConfigError, InvalidValueError } from '../model/errors'
import { nameProblem } from '../util/names'
import { functionOption, integerOption } from '../util/config-values'
import { type ParamPattern, compilePatterns } from '../util/patterns'
import { type CookieSettings, type SameSite, cookieNameProblem } from './cookies'

/** How params travel in request and response bodies. */
export type Wire = 'vtex' | 'plain'

/** Options of {@link createSessionHandler}; every one but `signer` has a default. */
export interface SessionHandlerOptions {
  /** Signs the session cookie and verifies it (with key rotation): a `createTokenSigner({ keys })` result. Required. */
  readonly signer: TokenSigner
  /** `'vtex'` (default): every param as `{ "value": ... }` in bodies; `'plain'`: bare values. */
  readonly wire?: Wire
  /** Name of the session cookie (signed, HttpOnly). Default `'sessionflow_session'`; VTEX's is `'vtex_session'`. */
  readonly sessionCookie?: string
  /** Name of the segment cookie (readable by page scripts). Default `'sessionflow_segment'`; VTEX's is `'vtex_segment'`. */
  readonly segmentCookie?: string
  /** `Path` of both cookies. Default `'/'`. */
  readonly cookiePath?: string
  /** `Domain` of both cookies. Default: none (host-only cookies). */
  readonly cookieDomain?: string
  /** `Secure` on both cookies. Default `true` (browsers accept it on `http://localhost` too). */
  readonly secure?: boolean
  /** `SameSite` of both cookies. Default `'Lax'`. */
  readonly sameSite?: SameSite
  /**
   * Query-string params copied into `public` when a session is created and on every POST: exact
   * names or `prefix*`. Default `['utm_*', 'utmi_*']`.
   */
  readonly captureQuery?: readonly string[]
  /**
   * Request cookies copied into the host-owned `cookie` namespace when a session is created and on
   * every POST and PATCH: exact names or `prefix*`. A captured cookie the request no longer carries
   * is removed from the session. Default `[]`.
   */
  readonly captureCookies?: readonly string[]
  /**
   * `true` (default): a request without a session answers from a pure run (`runCreate`) and
   * stores nothing; the session is stored by the first POST. `false`: such a GET creates one.
   */
  readonly lazy?: boolean
  /** A read renews the session's expiry at most this often, ms. Default: a tenth of the engine's `ttlMs`. */
  readonly touchAfterMs?: number
  /** Namespaces never sent in a response body (they may hold HttpOnly cookies). Default `['cookie']`. */
  readonly hiddenNamespaces?: readonly string[]
  /** Largest request body accepted, bytes; a larger one is answered 413. Default 65,536. */
  readonly maxBodyBytes?: number
  /**
   * Params (`ns.key`, `ns.prefix*`, `ns.*`) whose change gives the session a new id
   * (`engine.rotateId`) before the response sets the cookie: e.g. `['authentication.*']`, so a
   * login never keeps an id that existed before it (session fixation). Default `[]`: never.
   */
  readonly rotateIdOn?: readonly string[]
  /** Called with every error answered with a 5xx status (for logging); its own errors are ignored. */
  readonly onError?: (error: unknown, request: Request) => void
}

/** The namespace captured request cookies are written to. */
export const COOKIE_NAMESPACE = 'cookie'
/** The namespace captured query params are written to. */
export const QUERY_NAMESPACE = 'public'

/** Defaults of {@link SessionHandlerOptions}. */
export const HANDLER_DEFAULTS = Object.freeze({
  wire: 'vtex' as Wire,
  sessionCookie: 'sessionflow_session',
  segmentCookie: 'sessionflow_segment',
  cookiePath: '/',
  secure: true,
  sameSite: 'Lax' as SameSite,
  captureQuery: Object.freeze(['utm_*', 'utmi_*']) as readonly string[],
  captureCookies: Object.freeze([]) as readonly string[],
  lazy: true,
  hiddenNamespaces: Object.freeze([COOKIE_NAMESPACE]) as readonly string[],
  maxBodyBytes: 65_536,
})

/** Options checked and with their defaults in place. */
export interface HandlerSettings {
  readonly signer: TokenSigner
  readonly wire: Wire
  readonly sessionCookie: string
  readonly segmentCookie: string
  readonly cookies: CookieSettings
  /** Matches `public.<query param>` for the params to capture. */
  readonly query: ParamPattern
  /** Matches `cookie.<cookie name>` for the cookies to capture; `undefined` when none are. */
  readonly capturedCookies: ParamPattern | undefined
  readonly lazy: boolean
  readonly touchAfterMs: number
  readonly hidden: ReadonlySet<string>
  readonly maxBodyBytes: number
  /** Matches the params whose change rotates the session id; `undefined` when none do. */
  readonly rotateIdOn: ParamPattern | undefined
  readonly onError: ((error: unknown, request: Request) => void) | undefined
}

/** Checks the options (throws `ConfigError` saying which and why) and fills in the defaults. */
export function resolveOptions(options: SessionHandlerOptions, ttlMs: number): HandlerSettings {
  if (typeof options !== 'object' || options === null) throw new ConfigError('createSessionHandler: options must be an object with a signer')
  const { signer } = options
  if (typeof signer?.sign !== 'function' || typeof signer.verify !== 'function') {
    throw new ConfigError('createSessionHandler: options.signer must be a createTokenSigner({ keys }) result')
  }
  const wire = options.wire ?? HANDLER_DEFAULTS.wire
  if (wire !== 'vtex' && wire !== 'plain') throw new ConfigError("createSessionHandler: wire must be 'vtex' or 'plain'")
  const sessionCookie = cookieName(options.sessionCookie ?? HANDLER_DEFAULTS.sessionCookie, 'sessionCookie')
  const segmentCookie = cookieName(options.segmentCookie ?? HANDLER_DEFAULTS.segmentCookie, 'segmentCookie')
  if (sessionCookie === segmentCookie) throw new ConfigError('createSessionHandler: sessionCookie and segmentCookie must differ')
  const sameSite = options.sameSite ?? HANDLER_DEFAULTS.sameSite
  if (sameSite !== 'Strict' && sameSite !== 'Lax' && sameSite !== 'None') {
    throw new ConfigError("createSessionHandler: sameSite must be 'Strict', 'Lax' or 'None'")
  }
  const secure = options.secure ?? HANDLER_DEFAULTS.secure
  if (typeof secure !== 'boolean') throw new ConfigError('createSessionHandler: secure must be a boolean')
  // browsers drop SameSite=None cookies that are not Secure: refuse the combination rather than lose every session
  if (sameSite === 'None' && !secure) throw new ConfigError("createSessionHandler: sameSite 'None' requires secure: true")
  const path = attribute(options.cookiePath ?? HANDLER_DEFAULTS.cookiePath, 'cookiePath')
  const domain = options.cookieDomain === undefined ? undefined : attribute(options.cookieDomain, 'cookieDomain')
  const captureCookies = options.captureCookies ?? HANDLER_DEFAULTS.captureCookies
  const lazy = options.lazy ?? HANDLER_DEFAULTS.lazy
  if (typeof lazy !== 'boolean') throw new ConfigError('createSessionHandler: lazy must be a boolean')
  const touchAfterMs = options.touchAfterMs ?? ttlMs / 10
  if (typeof touchAfterMs !== 'number' || !(touchAfterMs >= 0) || !Number.isFinite(touchAfterMs)) {
    throw new ConfigError('createSessionHandler: touchAfterMs must be a finite number >= 0')
  }
  const hidden = options.hiddenNamespaces ?? HANDLER_DEFAULTS.hiddenNamespaces
  if (!Array.isArray(hidden) || hidden.some((ns) => nameProblem(ns) !== undefined)) {
    throw new ConfigError('createSessionHandler: hiddenNamespaces must be an array of namespace names')
  }
  const maxBodyBytes = integerOption(options.maxBodyBytes, HANDLER_DEFAULTS.maxBodyBytes, 'createSessionHandler: maxBodyBytes')
  functionOption(options.onError, 'createSessionHandler: onError')
  const capturedCookieItems = names(captureCookies, 'captureCookies', COOKIE_NAMESPACE)
  const rotateIdOn = options.rotateIdOn ?? []
  if (!Array.isArray(rotateIdOn)) throw new ConfigError('createSessionHandler: rotateIdOn must be an array of param patterns')
  return {
    signer,
    wire,
    sessionCookie,
    segmentCookie,
    cookies: { path, domain, secure, sameSite },
    query: patterns(names(options.captureQuery ?? HANDLER_DEFAULTS.captureQuery, 'captureQuery', QUERY_NAMESPACE), 'captureQuery'),
    capturedCookies: capturedCookieItems.length === 0 ? undefined : patterns(capturedCookieItems, 'captureCookies'),
    lazy,
    touchAfterMs,
    hidden: new Set(hidden),
    maxBodyBytes,
    rotateIdOn: rotateIdOn.length === 0 ? undefined : patterns(rotateIdOn, 'rotateIdOn'),
    onError: options.onError,
  }
}

function cookieName(name: unknown, option: string): string {
  const problem = cookieNameProblem(name)
  if (problem !== undefined) throw new ConfigError(`createSessionHandler: ${option} ${problem}`)
  return name as string
}

/** A cookie attribute value: anything but the characters that would end or split the header. */
function attribute(value: unknown, option: string): string {
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value === '' || /[;,\s\u0000-\u001f\u007f]/.test(value)) {
    throw new ConfigError(`createSessionHandler: ${option} must be a non-empty string without ";", "," or spaces`)
  }
  return value
}

/** Capture lists (`name` or `prefix*`) as param patterns in `namespace`, the one pattern syntax of the engine. */
function names(list: unknown, option: string, namespace: string): string[] {
  if (!Array.isArray(list)) throw new ConfigError(`createSessionHandler: ${option} must be an array of names or "prefix*"`)
  if (list.some((name) => typeof name !== 'string' || name === '*' || name === '')) {
    throw new ConfigError(`createSessionHandler: ${option} holds names or "prefix*" (not "*", not empty)`)
  }
  return list.map((name: string) => `${namespace}.${name}`)
}

function patterns(list: readonly string[], option: string): ParamPattern {
  try {
    return compilePatterns(list)
  } catch (error) {
    throw new ConfigError(`createSessionHandler: ${option}: ${error instanceof InvalidValueError ? error.message : String(error)}`)
  }
}
