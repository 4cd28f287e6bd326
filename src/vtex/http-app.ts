/**
 * Remote apps: an app whose transform is an HTTP service speaking VTEX's session-transform body
 * (`POST` of every declared input as `{ ns: { key: { "value": ... } } }`, answered in the same shape).
 */
import { type App, type ParamDeclaration, type TransformContext, defineApp } from '../core/app'
import { ConfigError, RemoteAppError } from '../model/errors'
import type { Namespaces } from '../model/session'
import { type BoundedText, readBoundedText } from '../util/bounded-read'
import { DEFAULT_LIMITS, describe } from '../util/json'
import { integerOption } from '../util/config-values'
import { fromVtexNamespaces, toVtexNamespaces } from './wire'

/** Options of {@link httpApp}. */
export interface HttpAppOptions<I extends ParamDeclaration = ParamDeclaration, O extends ParamDeclaration = ParamDeclaration> {
  /** Unique app name, used in reports and errors. */
  readonly name: string
  /** The transform endpoint, e.g. `https://my-app.example/_v/my-app/session/transform`. */
  readonly url: string | URL
  /** Params the app monitors; all of them (changed or not) are sent on every call. */
  readonly input?: I
  /** Params the app may write. An answer writing anything else fails the run. */
  readonly output?: O
  /** Aborts the request and fails the run after this many ms. Default 5000: a remote app always has a deadline. */
  readonly timeoutMs?: number
  /** Run in the create wave (with empty inputs). Default `false`. */
  readonly runOnCreate?: boolean
  /** A failure fails the whole call (`TransformFailedError`, keeping the HTTP status). Default `false`. */
  readonly critical?: boolean
  /** Extra request headers (an API key, the account); `content-type` and `accept` are JSON by default. */
  readonly headers?: HeadersInit
  /** The `fetch` to call with. Default: the global `fetch`. */
  readonly fetch?: typeof fetch
  /** Largest answer body read, in bytes; a larger one fails the run. Default 65536. */
  readonly maxResponseBytes?: number
}

/**
 * Limits for reading an answer's shape: as loose as the engine's own can be, so the engine's
 * `limits` (checked again on the app's output) decide, not the defaults; the body size bounds it.
 */
const WIRE_LIMITS = Object.freeze({ ...DEFAULT_LIMITS, maxDepth: 1_000, maxStringLength: Number.MAX_SAFE_INTEGER })

/** Default deadline of a remote app, ms. */
export const DEFAULT_HTTP_TIMEOUT_MS = 5_000

const KNOWN_OPTIONS = new Set(['name', 'url', 'input', 'output', 'timeoutMs', 'runOnCreate', 'critical', 'headers', 'fetch', 'maxResponseBytes'])

/**
 * An app served over HTTP. Each run POSTs its declared inputs in VTEX's wire shape to `url` (with
 * the run's abort signal, so a timeout cancels the request) and merges the answer's params. A
 * non-2xx status, a body that is not JSON or not that shape, an undeclared write, a network error
 * or a timeout fails the run like a throwing transform — isolated, with the HTTP status in the
 * report (`error.status`), or for a `critical` app a `TransformFailedError` keeping it (`status`).
 * No retries: a wave never waits for a second attempt. Connections are reused (keep-alive).
 */
export function httpApp<const I extends ParamDeclaration = {}, const O extends ParamDeclaration = {}>(options: HttpAppOptions<I, O>): App<I, O> {
  if (typeof options !== 'object' || options === null) throw new ConfigError('httpApp options must be an object')
  const name = options.name
  if (typeof name !== 'string' || name.length === 0) throw new ConfigError('httpApp needs a non-empty string name')
  for (const key of Object.keys(options)) if (!KNOWN_OPTIONS.has(key)) throw new ConfigError(`unknown option "${key}"`, name)
  const url = parseUrl(options.url, name)
  const fetchFn = options.fetch ?? globalThis.fetch
  if (typeof fetchFn !== 'function') throw new ConfigError('fetch must be a function (no global fetch in this runtime?)', name)
  const maxBytes = integerOption(options.maxResponseBytes, DEFAULT_LIMITS.maxSessionBytes, 'maxResponseBytes', 1, undefined, name)
  let headers: Headers
  try {
    headers = new Headers({ 'content-type': 'application/json', accept: 'application/json' })
    new Headers(options.headers).forEach((value, key) => headers.set(key, value))
  } catch (error) {
    throw new ConfigError(`headers are invalid (${describeError(error)})`, name)
  }
  const declared = declaredOutputs(options.output)
  const call = (input: Namespaces, ctx: TransformContext) => callRemote({ url, headers, fetchFn, maxBytes, declared }, input, ctx)
  return defineApp({
    name,
    input: options.input,
    output: options.output,
    timeoutMs: options.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
    runOnCreate: options.runOnCreate,
    critical: options.critical,
    transform: call as never,
  } as never) as App<I, O>
}

interface Remote {
  readonly url: string
  readonly headers: Headers
  readonly fetchFn: typeof fetch
  readonly maxBytes: number
  /** namespace -> declared output keys */
  readonly declared: ReadonlyMap<string, ReadonlySet<string>>
}

async function callRemote(remote: Remote, input: Namespaces, ctx: TransformContext): Promise<Namespaces | undefined> {
  const { url } = remote
  // called as a plain function: workerd and browsers throw "Illegal invocation" when `fetch` runs
  // with another object as `this` (as `remote.fetchFn(...)` would)
  const fetchFn = remote.fetchFn
  let response: Response
  try {
    response = await fetchFn(url, {
      method: 'POST',
      headers: remote.headers,
      body: JSON.stringify(toVtexNamespaces(input)),
      signal: ctx.signal,
    })
  } catch (error) {
    throw new RemoteAppError(url, undefined, `request to ${url} failed: ${describeError(error)}`, error)
  }
  const status = response.status
  if (status < 200 || status > 299) {
    // the body is not read: cancelling it lets the connection be reused or closed at once
    await cancel(response)
    throw new RemoteAppError(url, status, `${url} answered ${status}`)
  }
  if (status === 204) return undefined
  const text = await readBody(response, remote.maxBytes, url)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw new RemoteAppError(url, status, `${url} answered a body that is not JSON`, error)
  }
  let output: Namespaces
  try {
    output = fromVtexNamespaces(body, WIRE_LIMITS)
  } catch (error) {
    throw new RemoteAppError(url, status, `${url} answered ${describe(body)} in the wrong shape: ${describeError(error)}`, error)
  }
  const undeclared: string[] = []
  for (const ns of Object.keys(output)) {
    const keys = remote.declared.get(ns)
    for (const key of Object.keys(output[ns]!)) if (keys === undefined || !keys.has(key)) undeclared.push(`${ns}.${key}`)
  }
  if (undeclared.length > 0) {
    throw new RemoteAppError(url, status, `${url} wrote params outside its output: ${undeclared.slice(0, 20).join(', ')}`)
  }
  return output
}

/** The body as UTF-8 text within `max` bytes; anything else (too large, not UTF-8, a broken stream) fails the run. */
async function readBody(response: Response, max: number, url: string): Promise<string> {
  const status = response.status
  let read: BoundedText
  try {
    read = await readBoundedText(response.body, response.headers.get('content-length'), max)
  } catch (error) {
    throw new RemoteAppError(url, status, `reading the answer of ${url} failed: ${describeError(error)}`, error)
  }
  if ('text' in read) return read.text
  throw new RemoteAppError(url, status, read.problem === 'too-large' ? `${url} answered more than ${max} bytes` : `${url} answered a body that is not UTF-8`)
}

async function cancel(response: Response): Promise<void> {
  try {
    await response.body?.cancel()
  } catch {
    // already closed or errored: nothing left to release
  }
}

function parseUrl(url: unknown, app: string): string {
  let parsed: URL
  try {
    parsed = new URL(url as string)
  } catch {
    throw new ConfigError(`url must be an absolute http(s) URL, got ${describe(url)}`, app)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`url must be http or https, got ${parsed.protocol}`, app)
  return parsed.href
}

function declaredOutputs(output: unknown): Map<string, Set<string>> {
  const declared = new Map<string, Set<string>>()
  // the declaration itself is checked by defineApp; here only well-formed parts are collected
  if (typeof output !== 'object' || output === null) return declared
  for (const [ns, keys] of Object.entries(output)) if (Array.isArray(keys)) declared.set(ns, new Set(keys as string[]))
  return declared
}

function describeError(error: unknown): string {
  try {
    return error instanceof Error ? String(error.message) : String(error)
  } catch {
    return 'an unreadable error'
  }
}
