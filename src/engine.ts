import type { App } from './app'
import { type Changes, readChanges } from './changes'
import { applyClientPatch, checkJsonPatch } from './client-patch'
import { type Clock, systemClock } from './clock'
import { type CycleOutcome, type CycleSettings, runCycle } from './cycle'
import { Draft } from './draft'
import { ConfigError, ConflictError, InvalidValueError, SessionNotFoundError, StoreError } from './errors'
import { buildGraph } from './graph'
import { assertId, randomId } from './id'
import { DEFAULT_LIMITS, type Limits, sizeOf } from './json'
import { nameProblem } from './param'
import { compilePatterns } from './pattern'
import { KeyedQueue } from './queue'
import { type Recipe, readRecipe } from './recipe'
import type { CycleReport, PureResult, SessionResult } from './report'
import type { JsonValue, Namespace, Namespaces, Session } from './session'
import { MemoryStore, type SessionStore } from './store'
import type { Write } from './wave'

/** Options of {@link SessionEngine}. */
export interface SessionEngineOptions {
  /** The apps, in order; the order decides which of two same-wave writes of one param wins (the later). */
  readonly apps?: readonly App<any, any>[]
  /** Where sessions live. Default: a new {@link MemoryStore} using the engine's clock. */
  readonly store?: SessionStore
  /** Source of time. Default: the system clock. */
  readonly clock?: Clock
  /** Most waves triggered by changed params in one cycle (the create wave not counted). Default 100. */
  readonly maxWaves?: number
  /** Sliding expiry: a session expires this long after its last saved change or touch. Default 30 minutes. */
  readonly ttlMs?: number
  /** Namespaces clients may write through `patch` and `applyJsonPatch`. Default `['public']`. */
  readonly writableNamespaces?: readonly string[]
  /** Size limits; any omitted field keeps its default ({@link DEFAULT_LIMITS}). */
  readonly limits?: Partial<Limits>
  /** Timeout for apps that set no `timeoutMs` of their own. Default: none. */
  readonly timeoutMs?: number
  /** Re-runs after a compare-and-set conflict with another process before `ConflictError`. Default 5. */
  readonly maxConflictRetries?: number
  /** Session id generator; default 128 random bits from Web Crypto. For deterministic tests. */
  readonly generateId?: () => string
}

/** Per-call options of the client write methods. */
export interface WriteOptions {
  /**
   * Host-owned namespaces this call may write besides the writable ones (e.g. `['cookie']` after a
   * login). Only for host code: never pass client input here.
   */
  readonly allow?: readonly string[]
}

/** Options of {@link SessionEngine.get}. */
export interface GetOptions {
  /** Params to return: `'store.channel'`, `'account.*'`, `'public.utm_*'`, `'*'`. Default: everything. */
  readonly items?: readonly string[]
}

/** 30 minutes. */
export const DEFAULT_TTL_MS = 30 * 60_000

const EMPTY: Namespaces = Object.freeze({})
/** Namespaces this module produced (checked and frozen): the pure API skips re-checking them. */
const trusted = new WeakSet<Namespaces>()

/**
 * The session engine: apps monitor params; a change runs the apps that monitor it in waves until
 * nothing monitored changes; the result is saved once. Stateful methods use the store and clock;
 * `runCreate` and `runTransform` are pure and share the same cycle code.
 */
export class SessionEngine {
  readonly #settings: CycleSettings
  readonly #store: SessionStore
  readonly #clock: Clock
  readonly #ttlMs: number
  readonly #writable: ReadonlySet<string>
  readonly #maxRetries: number
  readonly #generateId: () => string
  readonly #queue = new KeyedQueue()
  /** Approximate JSON size per namespaces object, so the size limit costs what changed, not the session. */
  readonly #sizes = new WeakMap<Namespaces, number>()

  /** Checks the configuration (throws `ConfigError`) and indexes the app graph. */
  constructor(options: SessionEngineOptions = {}) {
    if (typeof options !== 'object' || options === null) throw new ConfigError('options must be an object')
    const limits = { ...DEFAULT_LIMITS, ...options.limits }
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new ConfigError(`limits.${name} must be a positive integer`)
    }
    if (limits.maxDepth > 1_000) throw new ConfigError('limits.maxDepth must be at most 1000')
    const maxWaves = positiveInteger(options.maxWaves, 100, 'maxWaves')
    if (options.timeoutMs !== undefined && !(typeof options.timeoutMs === 'number' && options.timeoutMs > 0)) {
      throw new ConfigError('timeoutMs must be a number > 0')
    }
    this.#settings = { graph: buildGraph(options.apps ?? [], options.timeoutMs), limits, maxWaves }
    this.#clock = options.clock ?? systemClock
    if (typeof this.#clock?.now !== 'function') throw new ConfigError('clock must have a now() method')
    const store = options.store ?? new MemoryStore({ now: () => this.#clock.now() })
    for (const method of ['get', 'put', 'delete'] as const) {
      if (typeof store?.[method] !== 'function') throw new ConfigError(`store must have a ${method}() method`)
    }
    this.#store = store
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS
    if (!(typeof this.#ttlMs === 'number' && this.#ttlMs > 0 && Number.isFinite(this.#ttlMs))) {
      throw new ConfigError('ttlMs must be a finite number > 0')
    }
    const writable = options.writableNamespaces ?? ['public']
    if (!Array.isArray(writable)) throw new ConfigError('writableNamespaces must be an array of namespace names')
    for (const ns of writable) {
      const problem = nameProblem(ns)
      if (problem !== undefined) throw new ConfigError(`writableNamespaces: namespace ${problem}`)
    }
    this.#writable = new Set(writable)
    this.#maxRetries = positiveInteger(options.maxConflictRetries, 5, 'maxConflictRetries', 0)
    this.#generateId = options.generateId ?? randomId
    if (typeof this.#generateId !== 'function') throw new ConfigError('generateId must be a function')
  }

  /** The namespaces clients may write. */
  get writableNamespaces(): readonly string[] {
    return [...this.#writable]
  }

  /** The limits in force. */
  get limits(): Readonly<Limits> {
    return this.#settings.limits
  }

  /**
   * Creates a session: applies `initial` (any namespace: the host decides what to copy from the
   * request), runs the create wave and the cycle, saves once.
   */
  async create(initial: Changes = {}): Promise<SessionResult> {
    const writes = readChanges(initial, this.#settings.limits)
    const id = this.#generateId()
    assertId(id)
    const outcome = await runCycle(this.#settings, EMPTY, writes, 'create', id)
    this.#checkLimits(EMPTY, outcome)
    const now = this.#clock.now()
    const session = freezeSession(id, 1, now, now, now + this.#ttlMs, outcome.namespaces)
    if (!(await this.#put(session, undefined))) throw new ConflictError(id, 1)
    return { session, patch: outcome.patch, report: { ...outcome.report, attempts: 1 } }
  }

  /** The session, or `undefined` when unknown or expired; `items` narrows the params returned. */
  async get(id: string, options: GetOptions = {}): Promise<Session | undefined> {
    assertId(id)
    const filter = options.items === undefined ? undefined : compilePatterns(options.items)
    const session = await this.#load(id)
    if (session === undefined || filter === undefined) return session
    const namespaces: Record<string, Namespace> = {}
    for (const ns of Object.keys(session.namespaces)) {
      if (!filter.coversNamespace(ns)) continue
      const params = session.namespaces[ns]!
      const out: Record<string, JsonValue> = {}
      let any = false
      for (const key of Object.keys(params)) {
        if (filter.matches(ns, key)) {
          out[key] = params[key]!
          any = true
        }
      }
      if (any) namespaces[ns] = Object.freeze(out)
    }
    return Object.freeze({ ...session, namespaces: Object.freeze(namespaces) })
  }

  /**
   * Applies client changes (only writable namespaces, plus `options.allow` for host code) and runs
   * the cycle. `changes` is `{ ns: { key: value } }` (a value of `undefined` deletes the param) or
   * an immer recipe `(draft) => void` over the writable namespaces.
   */
  async patch(id: string, changes: Changes | Recipe, options: WriteOptions = {}): Promise<SessionResult> {
    assertId(id)
    const writable = this.#writableFor(options)
    if (typeof changes === 'function') {
      return this.#mutate(id, (session) => readRecipe(changes, session.namespaces, writable, this.#settings.limits))
    }
    // checked once, before queueing: a refused call never waits for or touches the store
    const writes = readChanges(changes, this.#settings.limits, writable)
    return this.#mutate(id, () => writes)
  }

  /** Applies an RFC 6902 JSON Patch (paths like `/public/key`) to the writable namespaces, whole or not at all. */
  async applyJsonPatch(id: string, ops: readonly unknown[], options: WriteOptions = {}): Promise<SessionResult> {
    assertId(id)
    const checked = checkJsonPatch(ops, this.#writableFor(options), this.#settings.limits)
    return this.#mutate(id, (session) => applyClientPatch(checked, session.namespaces, this.#settings.limits))
  }

  /** Removes the session. No error when it does not exist. */
  async delete(id: string): Promise<void> {
    assertId(id)
    return this.#queue.run(id, async () => {
      try {
        await this.#store.delete(id)
      } catch (error) {
        throw new StoreError('delete', error)
      }
    })
  }

  /** Renews `expiresAt` (and `updatedAt`) without running a cycle; `version` stays. */
  async touch(id: string): Promise<Session> {
    assertId(id)
    return this.#queue.run(id, async () => {
      for (let attempt = 1; ; attempt++) {
        const session = await this.#load(id)
        if (session === undefined) throw new SessionNotFoundError(id)
        const now = this.#clock.now()
        const next = freezeSession(id, session.version, session.createdAt, now, now + this.#ttlMs, session.namespaces)
        if (await this.#put(next, session.version)) return next
        if (attempt > this.#maxRetries) throw new ConflictError(id, attempt)
      }
    })
  }

  /** Pure create: no store, no clock, no id. Returns the namespaces a `create(initial)` would save. */
  async runCreate(initial: Changes = {}): Promise<PureResult> {
    const writes = readChanges(initial, this.#settings.limits)
    return this.#pure(await runCycle(this.#settings, EMPTY, writes, 'create', undefined), EMPTY)
  }

  /** Pure cycle over `namespaces` with `changes` (any namespace): what a patch would do, without a store. */
  async runTransform(namespaces: Namespaces, changes: Changes): Promise<PureResult> {
    const base = this.#checkNamespaces(namespaces)
    const writes = readChanges(changes, this.#settings.limits)
    return this.#pure(await runCycle(this.#settings, base, writes, 'transform', undefined), base)
  }

  #pure(outcome: CycleOutcome, base: Namespaces): PureResult {
    this.#checkLimits(base, outcome)
    trusted.add(outcome.namespaces)
    return { namespaces: outcome.namespaces, patch: outcome.patch, report: { ...outcome.report, attempts: 1 } }
  }

  #checkNamespaces(namespaces: Namespaces): Namespaces {
    if (trusted.has(namespaces)) return namespaces
    const draft = new Draft(EMPTY)
    for (const { namespace, key, value } of readChanges(namespaces, this.#settings.limits)) draft.set(namespace, key, value)
    const checked = draft.finish().namespaces
    trusted.add(checked)
    return checked
  }

  #writableFor(options: WriteOptions): ReadonlySet<string> {
    const allow = options?.allow
    if (allow === undefined) return this.#writable
    if (!Array.isArray(allow)) throw new InvalidValueError('options.allow must be an array of namespace names')
    for (const ns of allow) {
      const problem = nameProblem(ns)
      if (problem !== undefined) throw new InvalidValueError(`options.allow: namespace ${problem}`)
    }
    return new Set([...this.#writable, ...allow])
  }

  /** The queued read-cycle-save loop of `patch` and `applyJsonPatch`, with compare-and-set retries. */
  #mutate(id: string, writesFor: (session: Session) => Write[]): Promise<SessionResult> {
    return this.#queue.run(id, async () => {
      for (let attempt = 1; ; attempt++) {
        const session = await this.#load(id)
        if (session === undefined) throw new SessionNotFoundError(id)
        const outcome = await runCycle(this.#settings, session.namespaces, writesFor(session), 'patch', id)
        const report: CycleReport = { ...outcome.report, attempts: attempt }
        if (outcome.report.changed.length === 0) return { session, patch: outcome.patch, report }
        this.#checkLimits(session.namespaces, outcome)
        const now = this.#clock.now()
        const next = freezeSession(id, session.version + 1, session.createdAt, now, now + this.#ttlMs, outcome.namespaces)
        if (await this.#put(next, session.version)) return { session: next, patch: outcome.patch, report }
        if (attempt > this.#maxRetries) throw new ConflictError(id, attempt)
      }
    })
  }

  #checkLimits(base: Namespaces, outcome: CycleOutcome): void {
    if (outcome.namespaces === base) return
    const limits = this.#settings.limits
    const size = this.#sizeOf(base) + outcome.sizeDelta
    if (size > limits.maxSessionBytes) {
      throw new InvalidValueError(`the session would be about ${size} bytes, over limits.maxSessionBytes (${limits.maxSessionBytes})`)
    }
    if (outcome.largestNamespace > limits.maxKeysPerNamespace) {
      throw new InvalidValueError(`a namespace would hold more than limits.maxKeysPerNamespace (${limits.maxKeysPerNamespace}) params`)
    }
    if (Object.keys(outcome.namespaces).length > limits.maxNamespaces) {
      throw new InvalidValueError(`the session would have more than limits.maxNamespaces (${limits.maxNamespaces}) namespaces`)
    }
    this.#sizes.set(outcome.namespaces, size)
  }

  #sizeOf(namespaces: Namespaces): number {
    let size = this.#sizes.get(namespaces)
    if (size === undefined) {
      size = sizeOf(namespaces as JsonValue)
      this.#sizes.set(namespaces, size)
    }
    return size
  }

  async #load(id: string): Promise<Session | undefined> {
    let session: Session | undefined
    try {
      session = await this.#store.get(id)
    } catch (error) {
      throw new StoreError('get', error)
    }
    if (session === undefined || session === null) return undefined
    if (session.expiresAt <= this.#clock.now()) return undefined
    // stores that deserialize (Redis, KV) hand back fresh objects: freeze them so sessions are immutable everywhere
    if (!Object.isFrozen(session) || !Object.isFrozen(session.namespaces)) deepFreeze(session)
    return session
  }

  async #put(session: Session, expectedVersion: number | undefined): Promise<boolean> {
    let written: unknown
    try {
      written = await this.#store.put(session, expectedVersion)
    } catch (error) {
      if (error instanceof ConflictError) return false
      throw new StoreError('put', error)
    }
    if (typeof written !== 'boolean') throw new StoreError('put', new TypeError('store.put must return (a promise of) a boolean'))
    return written
  }
}

function freezeSession(
  id: string,
  version: number,
  createdAt: number,
  updatedAt: number,
  expiresAt: number,
  namespaces: Namespaces,
): Session {
  return Object.freeze({ id, version, createdAt, updatedAt, expiresAt, namespaces })
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return
  Object.freeze(value)
  for (const child of Object.values(value)) deepFreeze(child)
}

function positiveInteger(value: unknown, fallback: number, name: string, min = 1): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || (value as number) < min) throw new ConfigError(`${name} must be an integer >= ${min}`)
  return value as number
}
