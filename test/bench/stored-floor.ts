/**
 * The floor of the realistic stored patches: the same `patch` calls through a `Map` of frozen
 * sessions, written by hand for this one graph and these params, with only what the engine's
 * contract requires of them — read the session, check the client's value, build each app's frozen
 * input, call the real transform (an async one with its timeout armed), check its output (a plain
 * object, declared params only, plain JSON values copied and frozen without running a getter
 * inside them), build the frozen namespaces and session, the RFC 6902 patch and an eager report,
 * keep the session's exact JSON size (`limits.maxSessionBytes`) from what changed, and save with a
 * compare-and-set. No graph lookups, no loop detection, no queue, no retry loop:
 * what a stored patch cannot cost less than, timed side by side with the engine's.
 *
 * Two patches: `public.postalCode` (one wave, the async `checkout` app) and a sign-in,
 * `cookie.authToken` (`authentication`, async, then `profile`, then `campaigns`: three waves).
 */
import type { App, JsonValue, Namespace, Namespaces, Session, SessionResult, TransformContext } from '../../src/index'
// the engine's own plain-object test, deep equality and JSON sizes: the same work whoever does it
import { isPlainObject, jsonEqual, jsonStringBytes, sizeOf } from '../../src/util/json'

/** The hand-written stored patches of the commerce graph. */
export interface Skeleton {
  /** Copies a session the engine created (same data) into the skeleton's store. */
  adopt(session: Session): void
  /** `engine.patch(id, { public: { postalCode } })` */
  postalCode(id: string, postalCode: string): Promise<SessionResult>
  /** `engine.patch(id, { cookie: { authToken } }, { allow: ['cookie'] })` */
  signIn(id: string, authToken: string): Promise<SessionResult>
  /** The JSON size the skeleton keeps for a session, in UTF-8 bytes. */
  size(id: string): number
}

type Op = SessionResult['patch'][number]
type Report = SessionResult['report']
type Wave = Report['waves'][number]
type Transform = (input: unknown, ctx: TransformContext) => unknown
/** An app of the graph as the skeleton calls it. */
interface Run {
  readonly name: string
  /** Its one output namespace. */
  readonly output: string
  /** Its declared output params. */
  readonly declared: readonly Param[]
  readonly transform: Transform
  readonly timeoutMs: number
}
/** A param with its name in reports and its JSON Pointer, made once (the engine interns them too). */
interface Param {
  readonly key: string
  readonly name: string
  readonly path: string
  /** What the param adds to its namespace's JSON text besides its value: `"key":` and a comma. */
  readonly bytes: number
}
/** A stored session and the UTF-8 size of its namespaces' JSON text (kept, as the engine keeps it). */
interface Entry {
  readonly session: Session
  readonly size: number
}
/** The change in JSON size of the writes of a patch under way. */
interface Size {
  delta: number
}
/** A patch under way. */
interface Cycle {
  readonly started: number
  readonly session: Session
  readonly base: Namespaces
  /** The namespace the call writes, anew. */
  readonly next: Namespace | undefined
  /** The call's changed params: wave 1's trigger. */
  readonly trigger: readonly string[]
  /** Those, then the params every wave changed, in order. */
  readonly changed: string[]
  readonly patch: Op[]
  readonly size: Size
  /** The session's size before the call. */
  readonly baseSize: number
  readonly waves: Wave[]
  /** When wave 1 started, whether its app is still running, and its timeout once armed. */
  t0: number
  running: boolean
  timer: ReturnType<typeof setTimeout> | undefined
  /** The answer when the call changes nothing. */
  readonly unchanged: SessionResult | undefined
}

/** The default `limits.maxStringLength`, `limits.maxDepth` and `limits.maxSessionBytes`. */
const MAX_STRING = 16_384
const MAX_DEPTH = 32
const MAX_SESSION_BYTES = 65_536
const NEVER = new AbortController().signal
const RESOLVED = Promise.resolve()

/** The hand-specialized stored patches over `apps` (the commerce graph). */
export function storedSkeleton(apps: readonly App[], ttlMs = 30 * 60_000): Skeleton {
  const store = new Map<string, Entry>()
  const app = (name: string): Run => {
    const found = apps.find((a) => a.name === name)!
    const [output, keys] = Object.entries(found.output!)[0]!
    return { name, output, declared: params(output, keys), transform: found.transform as Transform, timeoutMs: found.timeoutMs ?? 2_000 }
  }
  const [checkout, authentication, profile, campaigns] = [app('checkout'), app('authentication'), app('profile'), app('campaigns')]
  const [postalCodeParam] = params('public', ['postalCode'])
  const [authTokenParam] = params('cookie', ['authToken'])

  const load = (id: string) => {
    const entry = store.get(id)
    if (entry === undefined || entry.session.expiresAt <= Date.now()) throw new Error('no session')
    return entry
  }
  // the call's own write of one param, checked as the engine must (a JSON string within the
  // limits); the cycle's answer at once when it changes nothing
  const write = (started: number, id: string, ns: string, param: Param, value: unknown): Cycle => {
    if (typeof value !== 'string' || value.length > MAX_STRING) throw new TypeError('not a JSON string within limits')
    const { session, size: baseSize } = load(id)
    const trigger: string[] = []
    const patch: Op[] = []
    const size = { delta: 0 }
    const before = session.namespaces[ns]
    const next = set(param, before, undefined, value, trigger, patch, size)
    const unchanged = next === undefined ? { session, patch: [], report: report([], [], [], started) } : undefined
    return { started, session, base: session.namespaces, next: next === undefined ? before : Object.freeze(next), trigger, changed: [...trigger], patch, size, baseSize, waves: [], t0: 0, running: false, timer: undefined, unchanged }
  }
  // the end of a cycle: save `namespaces` with a compare-and-set, answer the patch and the report of every wave
  const done = (cycle: Cycle, namespaces: Namespaces): SessionResult => {
    const { session } = cycle
    // the session's exact JSON size, from what changed: `limits.maxSessionBytes` holds for the result
    const size = cycle.baseSize + cycle.size.delta
    if (size > MAX_SESSION_BYTES) throw new RangeError('session larger than maxSessionBytes')
    const now = Date.now()
    const next: Session = Object.freeze({ id: session.id, version: session.version + 1, createdAt: session.createdAt, updatedAt: now, expiresAt: now + ttlMs, namespaces })
    if (store.get(session.id)?.session !== session) throw new Error('conflict')
    store.set(session.id, { session: next, size })
    return { session: next, patch: cycle.patch, report: report(cycle.trigger, cycle.waves, cycle.changed, cycle.started) }
  }

  return {
    adopt(session) {
      store.set(session.id, { session, size: sizeOf(session.namespaces as JsonValue) })
    },

    size: (id) => load(id).size,

    async postalCode(id, postalCode) {
      const cycle = write(performance.now(), id, 'public', postalCodeParam!, postalCode)
      if (cycle.unchanged !== undefined) return cycle.unchanged
      const { base, next: pub } = cycle
      const region = settle(cycle, checkout, await start(cycle, checkout, { public: pick(pub, CHECKOUT_IN) }), base.checkout)
      return done(cycle, Object.freeze({ ...base, public: pub!, checkout: region! }))
    },

    async signIn(id, authToken) {
      const cycle = write(performance.now(), id, 'cookie', authTokenParam!, authToken)
      if (cycle.unchanged !== undefined) return cycle.unchanged
      const { base, next: cookie, patch, waves, changed } = cycle
      // wave 1: authentication (async) monitors cookie.authToken
      const auth = settle(cycle, authentication, await start(cycle, authentication, { cookie: pick(cookie, AUTHENTICATION_IN) }), base.authentication)
      let prof = base.profile
      let active = base.campaigns
      // wave 2: profile monitors both authentication params (a wave's trigger is sorted)
      const wave1 = waves[0]!.changed
      if (wave1.length > 0) {
        const t1 = performance.now()
        const wave2: string[] = []
        prof = take(call(profile, { authentication: pick(auth, PROFILE_IN) }, id, 2), profile, prof, wave2, cycle)
        const t2 = performance.now()
        waves.push(oneAppWave(2, [...wave1].sort(), 'profile', t2 - t1, wave2, t2 - t1))
        changed.push(...wave2)
        // wave 3: campaigns monitors profile.email; nothing monitors profile.isAuthenticated, nor campaigns.active
        if (wave2.includes('profile.email')) {
          const wave3: string[] = []
          active = take(call(campaigns, { profile: pick(prof, CAMPAIGNS_IN_PROFILE), public: pick(base.public, CAMPAIGNS_IN_PUBLIC) }, id, 3), campaigns, active, wave3, cycle)
          const t3 = performance.now()
          waves.push(oneAppWave(3, ['profile.email'], 'campaigns', t3 - t2, wave3, t3 - t2))
          changed.push(...wave3)
        }
      }
      return done(cycle, Object.freeze({ ...base, cookie: cookie!, authentication: auth!, profile: prof!, campaigns: active! }))
    },
  }
}

// the params the apps of the graph read (each session of the graph has every namespace)
const CHECKOUT_IN = ['country', 'postalCode']
const AUTHENTICATION_IN = ['authToken']
const PROFILE_IN = ['storeUserId', 'storeUserEmail']
const CAMPAIGNS_IN_PROFILE = ['email']
const CAMPAIGNS_IN_PUBLIC = ['utm_source', 'utm_campaign']

function params(ns: string, keys: readonly string[]): Param[] {
  return keys.map((key) => ({ key, name: `${ns}.${key}`, path: `/${ns}/${key}`, bytes: jsonStringBytes(key) + 2 }))
}

/** A transform's frozen input namespace: the listed params of `namespace` that are set. */
function pick(namespace: Namespace | undefined, keys: readonly string[]): Namespace {
  const input: Record<string, JsonValue> = {}
  for (const key of keys) {
    const value = namespace?.[key]
    if (value !== undefined) input[key] = value
  }
  return Object.freeze(input)
}

/** Calls a transform with its frozen input. */
function call(app: Run, input: Record<string, Namespace>, sessionId: string, wave: number): unknown {
  return app.transform(Object.freeze(input), { sessionId, app: app.name, wave, signal: NEVER })
}

/**
 * Wave 1, the one async app the call's write triggers: starts it with its timeout, armed as the
 * engine arms it (only once the app is still running after a few microtask turns), timed on
 * its own; `settle` takes its output into `before` (its namespace) and returns that anew. Two
 * plain functions around the caller's `await`: an async helper costs a promise more per patch.
 */
function start(cycle: Cycle, app: Run, input: Record<string, Namespace>): unknown {
  cycle.t0 = performance.now()
  cycle.running = true
  void RESOLVED.then()
    .then()
    .then()
    .then(() => {
      if (cycle.running) cycle.timer = setTimeout(() => {}, app.timeoutMs - (performance.now() - cycle.t0))
    })
  return call(app, input, cycle.session.id, 1)
}

function settle(cycle: Cycle, app: Run, output: unknown, before: Namespace | undefined): Namespace | undefined {
  cycle.running = false
  if (cycle.timer !== undefined) clearTimeout(cycle.timer)
  const t1 = performance.now()
  const changed: string[] = []
  const next = take(output, app, before, changed, cycle)
  cycle.waves.push(oneAppWave(1, cycle.trigger, app.name, t1 - cycle.t0, changed, performance.now() - cycle.t0))
  cycle.changed.push(...changed)
  return next
}

/**
 * `app`'s output checked as the engine must — a plain object writing only its output namespace,
 * a plain object of declared params, values plain JSON, copied and frozen — and taken into
 * `before`: the namespace anew, frozen, or `before` itself when nothing changed by value.
 */
function take(output: unknown, app: Run, before: Namespace | undefined, changed: string[], cycle: Cycle): Namespace | undefined {
  if (!isPlainObject(output)) throw new TypeError('not a plain object')
  const namespaces = Object.keys(output)
  if (namespaces.length !== 1 || namespaces[0] !== app.output) throw new TypeError('writes a namespace not in its output')
  const writes = output[app.output]
  if (!isPlainObject(writes)) throw new TypeError('not a plain object')
  let next: Record<string, JsonValue> | undefined
  for (const key of Object.keys(writes)) {
    const param = declared(app, key)
    const value = writes[key]
    next = set(param, before, next, value === undefined ? undefined : json(value, 0), changed, cycle.patch, cycle.size)
  }
  return next === undefined ? before : Object.freeze(next)
}

function declared(app: Run, key: string): Param {
  for (const param of app.declared) if (param.key === key) return param
  throw new TypeError(`writes ${app.output}.${key}, which is not in its output`)
}

/** A plain JSON value, copied and deeply frozen; members are read through their descriptors, so no getter runs. */
function json(value: unknown, depth: number): JsonValue {
  switch (typeof value) {
    case 'string':
      if (value.length > MAX_STRING) throw new TypeError('string too long')
      return value
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('not a finite number')
      return value === 0 ? 0 : value
    case 'boolean':
      return value
    case 'object':
      if (value === null) return null
      break
    default:
      throw new TypeError('not a JSON value')
  }
  if (depth >= MAX_DEPTH) throw new TypeError('too deep')
  if (Object.getOwnPropertySymbols(value).length > 0) throw new TypeError('symbol keys')
  const names = Object.getOwnPropertyNames(value)
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype || names.length !== value.length + 1) throw new TypeError('not a plain array')
    const copy: JsonValue[] = new Array(value.length)
    for (let i = 0; i < value.length; i++) copy[i] = json(member(value, String(i)), depth + 1)
    return Object.freeze(copy)
  }
  if (!isPlainObject(value)) throw new TypeError('not a plain object')
  const copy: Record<string, JsonValue> = {}
  for (const key of names) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype' || key.length > MAX_STRING) throw new TypeError('bad key')
    copy[key] = json(member(value, key), depth + 1)
  }
  return Object.freeze(copy)
}

/** An enumerable data member's value, read without running a getter. */
function member(object: object, key: string): unknown {
  const d = Object.getOwnPropertyDescriptor(object, key)
  if (d === undefined || !('value' in d) || !d.enumerable || d.value === undefined) throw new TypeError('not a JSON member')
  return d.value
}


/**
 * Sets `param` to `value` (`undefined`: removes it) in `next`, a copy of `before` made at the
 * first change, unless it holds that value already; a change goes to `changed`, its operation to
 * `patch` and its JSON size to `size` (a param added or removed counts its key and a comma: the
 * namespaces of these patches are never empty). Returns `next`.
 */
function set(param: Param, before: Namespace | undefined, next: Record<string, JsonValue> | undefined, value: JsonValue | undefined, changed: string[], patch: Op[], size: Size): Record<string, JsonValue> | undefined {
  const old = before !== undefined && Object.hasOwn(before, param.key) ? before[param.key] : undefined
  if (jsonEqual(old, value)) return next
  next ??= { ...before }
  if (value === undefined) {
    delete next[param.key]
    patch.push({ op: 'remove', path: param.path })
    size.delta -= param.bytes + sizeOf(old!)
  } else {
    next[param.key] = value
    patch.push({ op: old === undefined ? 'add' : 'replace', path: param.path, value })
    size.delta += old === undefined ? param.bytes + sizeOf(value) : sizeOf(value) - sizeOf(old)
  }
  changed.push(param.name)
  return next
}

function oneAppWave(wave: number, trigger: readonly string[], app: string, appMs: number, changed: string[], durationMs: number): Wave {
  return { wave, kind: 'changes', trigger, apps: [{ app, status: 'ok', durationMs: appMs, changed }], changed, conflicts: [], durationMs }
}

function report(trigger: readonly string[], waves: Wave[], changed: readonly string[], started: number): Report {
  return { kind: 'patch', trigger, waves, changed, durationMs: performance.now() - started, attempts: 1, segmentChanged: false }
}
