import type { TransformContext } from './app'
import { type ChangeSource, type Changes, changeSource, readChanges } from '../writes/changes'
import { type Clock, timersOf } from './clock'
import { type SessionEngineOptions, checkOptions } from './options'
import { type CycleOutcome, type CycleSettings, runCycle } from './cycle'
import { Draft } from './draft'
import { ConfigError, ConflictError, InvalidValueError, ReentrantCallError, SessionNotFoundError, StoreError } from '../model/errors'
import { type AppGraph, buildGraph } from './graph'
import type { CacheRunner } from './cached-run'
import { assertId } from '../util/ids'
import { type Limits, asInvalidValue, readList, sizeOf } from '../util/json'
import { nameProblem } from '../util/names'
import { callSignal, throwIfAborted } from '../util/abort'
import { compilePatterns, selectParams } from '../util/patterns'
import { type Inspector, safeInspector } from '../features/inspect'
import { KeyedQueue } from './queue'
import { runningTransform } from './run-app'
import { CONFLICT, type LoopClock, type RetryPolicy, updateLoop } from './update-loop'
import type { SegmentResult, Segmenter } from '../features/segment'
import { type CycleReport, type PureResult, type SessionResult, cycleReport } from '../model/report'
import type { JsonValue, Namespaces, Session, Write } from '../model/session'
import { adoptStoredSession, freezeSession, knownSize } from './stored-session'
import type { SessionValidator } from '../features/schema'
import type { TransformCaching } from './cache-transforms'
import type { SessionStore } from './store'
import type { TypedChanges, TypedNamespaces, TypedSession } from '../features/typed'

/**
 * Options every call takes. `signal` is the call's deadline: once it aborts, every running app's
 * `ctx.signal` aborts, the cycle stops at the next wave boundary, nothing is saved, and the call
 * rejects with the signal's reason (an already aborted signal rejects before anything runs). The
 * store write is the commit point: a signal aborting while it is in flight is too late.
 */
export interface CallOptions {
  /** Aborts the call (e.g. `AbortSignal.timeout(ms)`, or the request's signal). */
  readonly signal?: AbortSignal
}

/** Per-call options of the client write methods. */
export interface WriteOptions extends CallOptions {
  /**
   * Host-owned namespaces this call may write besides the writable ones (e.g. `['cookie']` after a
   * login). Only for host code: never pass client input here.
   */
  readonly allow?: readonly string[]
  /**
   * The `ctx` of the transform making this call, when a transform calls the engine. A call that
   * would wait for a cycle waiting on that very transform (its own session's, or another session's
   * whose transform waits on this one) then fails at once with `ReentrantCallError` instead of
   * waiting forever. Calls made in a transform's synchronous part are recognized without it.
   */
  readonly from?: TransformContext
}

/** Options of {@link SessionEngine.get}. */
export interface GetOptions extends CallOptions {
  /** Params to return: `'store.channel'`, `'account.*'`, `'public.utm_*'`, `'*'`. Default: everything. */
  readonly items?: readonly string[]
}

const EMPTY: Namespaces = Object.freeze({})
/**
 * What `segmentOf` returns when no segment is configured: every session shares the empty segment,
 * whose token (base64url of `{}`) is written out so that an engine without segments needs no encoder.
 */
const NO_SEGMENT: SegmentResult = Object.freeze({ segment: EMPTY, token: 'e30' })
/** Namespaces this module produced (checked and frozen): the pure API skips re-checking them. */
const trusted = new WeakSet<Namespaces>()

/**
 * The session engine: apps monitor params; a change runs the apps that monitor it in waves until
 * nothing monitored changes; the result is saved once. Stateful methods use the store and clock;
 * `runCreate` and `runTransform` are pure and share the same cycle code.
 */
export class SessionEngine<S extends object = Namespaces> {
  readonly #settings: CycleSettings
  readonly #store: SessionStore
  readonly #clock: Clock
  readonly #ttlMs: number
  readonly #writable: ReadonlySet<string>
  readonly #retry: RetryPolicy
  /** The update loop's pauses: on the app timers' clock, jittered by the engine clock's `random` (if any). */
  readonly #loopClock: LoopClock
  /** Tells the inspector of a re-run; one function for every call (a closure per call was garbage on every patch). */
  readonly #retried = (attempt: number, sessionId: string): void => this.#settings.inspect?.({ type: 'store:retry', sessionId, attempt })
  readonly #generateId: () => string
  readonly #segment: Segmenter | undefined
  /** Calls per session, one at a time; a session with a call running in this engine is `busy` there. */
  readonly #queue = new KeyedQueue()
  /** Pending calls made from transforms: caller session -> called session -> how many. */
  readonly #waits = new Map<string, Map<string, number>>()
  readonly #validators: SessionValidator | undefined
  /** Approximate JSON size of the namespaces of pure calls (`runTransform` chains), so the size limit costs what changed. */
  readonly #sizes = new WeakMap<Namespaces, number>()

  /** Checks the configuration (throws `ConfigError`) and indexes the app graph. */
  constructor(options: SessionEngineOptions<S> = {}) {
    const checked = checkOptions(options)
    this.#clock = checked.clock
    this.#store = checked.store
    this.#ttlMs = checked.ttlMs
    this.#writable = checked.writable
    this.#retry = checked.retry
    this.#generateId = checked.generateId
    this.#validators = checked.schema
    const graph = buildGraph(options.apps ?? [], checked.timeoutMs, this.#validators)
    this.#settings = {
      graph,
      limits: checked.limits,
      maxWaves: checked.maxWaves,
      timers: timersOf(checked.clock),
      inspect: safeInspector(options.inspect),
      timeApps: options.timing === 'app',
      cache: this.#cacheRunner(graph, checked.transformCache),
    }
    const { timers } = this.#settings
    const clock = checked.clock
    this.#loopClock = {
      now: () => timers.now(),
      setTimeout: (fn, ms) => timers.setTimeout(fn, ms),
      ...(typeof clock.random === 'function' ? { random: () => clock.random!() } : {}),
    }
    this.#segment = checked.segment
  }

  /** The runner of the apps declaring `cache`, when any does; they need the `transformCache` option. */
  #cacheRunner(graph: AppGraph, caching: TransformCaching | undefined): CacheRunner | undefined {
    const cached = graph.apps.find((app) => app.cache !== undefined)
    if (cached === undefined) return undefined
    if (caching === undefined) {
      throw new ConfigError("declares cache, and the engine has no transformCache: write transformCache: cacheTransforms() (import { cacheTransforms } from 'sessionflow')", cached.name)
    }
    return caching.runnerFor(() => this.#clock.now())
  }

  /** The namespaces clients may write. */
  get writableNamespaces(): readonly string[] {
    return [...this.#writable]
  }

  /** The limits in force. */
  get limits(): Readonly<Limits> {
    return this.#settings.limits
  }

  /** The sliding expiry in force, ms (what hosts need for cookie lifetimes). */
  get ttlMs(): number {
    return this.#ttlMs
  }

  /** The engine's clock (what hosts need to compare `expiresAt` and `updatedAt` with now). */
  get clock(): Clock {
    return this.#clock
  }

  /**
   * Creates a session: applies `initial` (any namespace: the host decides what to copy from the
   * request), runs the create wave and the cycle, saves once.
   */
  create(initial?: TypedChanges<S>, options?: CallOptions): Promise<SessionResult<TypedSession<S>>>
  async create(initial: Changes = {}, options?: CallOptions): Promise<SessionResult> {
    const signal = signalOf(options)
    const writes = await this.#validated(readChanges(initial, this.#settings.limits))
    const id = this.#generateId()
    assertId(id)
    const outcome = await this.#cycle(EMPTY, writes, 'create', id, signal)
    const size = this.#checkLimits(EMPTY, outcome, this.#sizeOf(EMPTY))
    throwIfAborted(signal)
    const now = this.#clock.now()
    const session = freezeSession(id, 1, now, now, now + this.#ttlMs, outcome.namespaces, size)
    if (!(await this.#put(session, undefined))) throw new ConflictError(id, 1)
    return { session, patch: outcome.patch, report: this.#report(outcome, 1) }
  }

  /** The session, or `undefined` when unknown or expired; `items` narrows the params returned. */
  get(id: string, options?: GetOptions): Promise<TypedSession<S> | undefined>
  async get(id: string, options: GetOptions = {}): Promise<Session | undefined> {
    assertId(id)
    const signal = signalOf(options)
    const items = optionOf(options, 'items', 'get options')
    const filter = items === undefined ? undefined : compilePatterns(items)
    const session = await this.#load(id)
    throwIfAborted(signal)
    if (session === undefined || filter === undefined) return session
    return Object.freeze({ ...session, namespaces: selectParams(session.namespaces, filter) })
  }

  /**
   * Applies client changes (only writable namespaces, plus `options.allow` for host code) and runs
   * the cycle. `changes` is `{ ns: { key: value } }` (a value of `undefined` deletes the param), or
   * a change computed from the session: `recipe((draft) => ...)` (immer) or `jsonPatch(ops)`
   * (RFC 6902, paths like `/public/key`, applied whole or not at all).
   */
  patch(id: string, changes: TypedChanges<S> | ChangeSource, options?: WriteOptions): Promise<SessionResult<TypedSession<S>>>
  patch(id: string, changes: Changes | ChangeSource, options: WriteOptions = {}): Promise<SessionResult> {
    // not `async` (the busiest call): an async function returning the update's promise cost one
    // more promise and three microtask turns; a synchronous throw still becomes a rejection
    try {
      assertId(id)
      const signal = signalOf(options)
      const caller = callerOf(options)
      const writable = this.#writableFor(options)
      const source = changeSource(changes)
      if (source !== undefined) {
        // checked once, before queueing; the writes are computed from the session each attempt reads
        const writesOf = source.prepare(writable, this.#settings.limits)
        return this.#mutate(id, caller, signal, (session) => this.#validated(writesOf(session.namespaces)))
      }
      // checked once, before queueing: a refused call never waits for or touches the store
      const checked = this.#validated(readChanges(changes, this.#settings.limits, writable))
      if (checked instanceof Promise) return checked.then((writes) => this.#mutate(id, caller, signal, () => writes))
      return this.#mutate(id, caller, signal, () => checked)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** Removes the session. No error when it does not exist. `options.from`: see {@link WriteOptions.from}. */
  async delete(id: string, options?: Pick<WriteOptions, 'from' | 'signal'>): Promise<void> {
    assertId(id)
    const signal = signalOf(options)
    return this.#queued(id, callerOf(options), async () => {
      throwIfAborted(signal)
      try {
        await this.#store.delete(id)
      } catch (error) {
        throw new StoreError('delete', error)
      }
    })
  }

  /** Renews `expiresAt` (and `updatedAt`) without running a cycle; `version` stays. `options.from`: see {@link WriteOptions.from}. */
  touch(id: string, options?: Pick<WriteOptions, 'from' | 'signal'>): Promise<TypedSession<S>>
  async touch(id: string, options?: Pick<WriteOptions, 'from' | 'signal'>): Promise<Session> {
    assertId(id)
    return this.#rewrite(id, options, async (session, now) => {
      const next = freezeSession(id, session.version, session.createdAt, now, now + this.#ttlMs, session.namespaces, knownSize(session))
      return (await this.#put(next, session.version)) ? next : CONFLICT
    })
  }

  /**
   * Moves the session to a new id (at login, against session fixation): same namespaces, version
   * + 1, `createdAt` kept, expiry renewed; the old id is gone. Atomic against concurrent writers
   * of the old id: with the store's `rotate` when it has one, else compare-and-set on both ids
   * (create the new id, then retire the old one only if it is still at the version read). No
   * cycle runs. Rejects with `SessionNotFoundError` when the session does not exist.
   */
  rotateId(id: string, options?: Pick<WriteOptions, 'from' | 'signal'>): Promise<TypedSession<S>>
  async rotateId(id: string, options?: Pick<WriteOptions, 'from' | 'signal'>): Promise<Session> {
    assertId(id)
    return this.#rewrite(id, options, async (session, now) => {
      const newId = this.#generateId()
      assertId(newId)
      const next = freezeSession(newId, session.version + 1, session.createdAt, now, now + this.#ttlMs, session.namespaces, knownSize(session))
      return newId !== id && (await this.#rotate(next, session)) ? next : CONFLICT
    })
  }

  /** The update loop of the calls that rewrite a session without a cycle (`touch`, `rotateId`). */
  #rewrite(id: string, options: unknown, step: (session: Session, now: number) => Promise<Session | typeof CONFLICT>): Promise<Session> {
    const signal = signalOf(options)
    return this.#update(id, callerOf(options), async () => step(await this.#loaded(id, signal), this.#clock.now()))
  }

  /** One rotation attempt; `false` when the old id moved on or the new one is taken (nothing changed then). */
  async #rotate(next: Session, from: Session): Promise<boolean> {
    const store = this.#store
    if (typeof store.rotate === 'function') {
      let done: unknown
      try {
        done = await store.rotate(next, from.id, from.version)
      } catch (error) {
        if (!(error instanceof ConflictError)) throw new StoreError('rotate', error)
        done = false
      }
      if (typeof done === 'boolean') return done
      if (done !== undefined) throw new StoreError('rotate', new TypeError('store.rotate must return (a promise of) a boolean or undefined'))
    }
    // two compare-and-sets: the new id first, so a failure half-way leaves the old session valid
    // (and an unknown new id that expires), never a visitor without a session
    if (!(await this.#put(next, undefined))) return false
    // the old id is retired by a compare-and-set write of an empty, already expired session: it
    // fails if another writer saved the old id since it was read, and then the new id is undone
    const retired = freezeSession(from.id, from.version + 1, from.createdAt, next.updatedAt, next.updatedAt, EMPTY)
    if (!(await this.#put(retired, from.version))) {
      await this.#deleteQuietly(next.id, true)
      return false
    }
    await this.#deleteQuietly(from.id, false)
    return true
  }

  /** `store.delete`; `strict`: a failure is a `StoreError`, else ignored (the session deleted is expired already). */
  async #deleteQuietly(id: string, strict: boolean): Promise<void> {
    try {
      await this.#store.delete(id)
    } catch (error) {
      if (strict) throw new StoreError('delete', error)
    }
  }

  /** The session of an update attempt (`SessionNotFoundError` when there is none), the call's signal checked around the read. */
  #loaded(id: string, signal: AbortSignal | undefined): Session | Promise<Session> {
    throwIfAborted(signal)
    const loaded = this.#load(id)
    if (loaded instanceof Promise) return loaded.then((session) => found(id, session, signal))
    return found(id, loaded, signal)
  }

  /** Pure create: no store, no clock, no id. Returns the namespaces a `create(initial)` would save. */
  runCreate(initial?: TypedChanges<S>, options?: CallOptions): Promise<PureResult<TypedNamespaces<S>>>
  async runCreate(initial: Changes = {}, options?: CallOptions): Promise<PureResult> {
    const signal = signalOf(options)
    const writes = await this.#validated(readChanges(initial, this.#settings.limits))
    return this.#pure(await this.#cycle(EMPTY, writes, 'create', undefined, signal), EMPTY)
  }

  /** Pure cycle over `namespaces` with `changes` (any namespace): what a patch would do, without a store. */
  runTransform(namespaces: TypedNamespaces<S> | Namespaces, changes: TypedChanges<S>, options?: CallOptions): Promise<PureResult<TypedNamespaces<S>>>
  async runTransform(namespaces: Namespaces, changes: Changes, options?: CallOptions): Promise<PureResult> {
    const signal = signalOf(options)
    const base = this.#checkNamespaces(namespaces)
    const writes = await this.#validated(readChanges(changes, this.#settings.limits))
    return this.#pure(await this.#cycle(base, writes, 'transform', undefined, signal), base)
  }

  /** Applies the `schema` validators to caller writes (sync when every validator is; throws `InvalidValueError`). */
  #validated(writes: Write[]): readonly Write[] | Promise<readonly Write[]> {
    return this.#validators === undefined ? writes : this.#validators.validate(writes, this.#settings.limits)
  }

  /** {@link runCycle}, wrapped in `cycle:start` / `cycle:end` events when an inspector is set. */
  #cycle(base: Namespaces, writes: readonly Write[], kind: CycleReport['kind'], id: string | undefined, signal: AbortSignal | undefined): Promise<CycleOutcome> {
    // not `async`: returning the cycle's own promise saves one promise and three microtask turns
    if (this.#settings.inspect === undefined && signal === undefined) return runCycle(this.#settings, base, writes, kind, id)
    return this.#watchedCycle(base, writes, kind, id, signal)
  }

  async #watchedCycle(base: Namespaces, writes: readonly Write[], kind: CycleReport['kind'], id: string | undefined, signal: AbortSignal | undefined): Promise<CycleOutcome> {
    const inspect = this.#settings.inspect
    const started = performance.now()
    inspect?.({ type: 'cycle:start', kind, sessionId: id, writes: writes.map((w) => `${w.namespace}.${w.key}`) })
    try {
      const outcome = await runCycle(this.#settings, base, writes, kind, id, signal)
      const { report } = outcome
      // own properties, eager: an inspector may log or serialize the event
      inspect?.({ type: 'cycle:end', kind, sessionId: id, durationMs: performance.now() - started, report: { kind: report.kind, trigger: report.trigger, waves: report.waves, changed: report.changed, durationMs: report.durationMs } })
      return outcome
    } catch (thrown) {
      // an aborted call rejects with its signal's reason, whatever the aborted apps did meanwhile
      const error: unknown = signal?.aborted === true ? signal.reason : thrown
      inspect?.({ type: 'cycle:end', kind, sessionId: id, durationMs: performance.now() - started, error })
      throw error
    }
  }

  #pure(outcome: CycleOutcome, base: Namespaces): PureResult {
    const size = this.#checkLimits(base, outcome, undefined)
    if (size !== undefined) this.#sizes.set(outcome.namespaces, size)
    trusted.add(outcome.namespaces)
    return { namespaces: outcome.namespaces, patch: outcome.patch, report: this.#report(outcome, 1) }
  }

  /**
   * The segment of a session (or of a pure result's namespaces) and its token, as the `segment`
   * option's {@link Segmenter} computes it; `{ segment: {}, token }` without a `segment` option.
   */
  segmentOf(source: { readonly namespaces: Namespaces }): SegmentResult {
    const namespaces = source?.namespaces
    if (typeof namespaces !== 'object' || namespaces === null) throw new InvalidValueError('segmentOf expects a session or { namespaces }')
    return this.#segment === undefined ? NO_SEGMENT : this.#segment.of(namespaces)
  }

  /** The call's report: the cycle's, plus attempts and whether a segment param changed (cost: the changed params). */
  #report(outcome: CycleOutcome, attempts: number): CycleReport {
    const segmentChanged = this.#segment !== undefined && this.#segment.touchedBy(outcome.report.changed)
    return cycleReport(outcome.report, attempts, segmentChanged)
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
    const given = optionOf(options, 'allow', 'write options')
    if (given === undefined) return this.#writable
    const allow = readList(given, 256, 'options.allow')
    for (const ns of allow) {
      const problem = nameProblem(ns)
      if (problem !== undefined) throw new InvalidValueError(`options.allow: namespace ${problem}`)
    }
    return new Set([...this.#writable, ...(allow as string[])])
  }

  /**
   * The read-cycle-save attempt of `patch`, in the one update loop. Written
   * without `async`: with a synchronous store (`MemoryStore`) the read and the write cost no
   * promise, and each `await` of a plain value cost a microtask turn (together about a fifth of a
   * stored one-app patch).
   */
  #mutate(
    id: string,
    caller: string | undefined,
    signal: AbortSignal | undefined,
    writesFor: (session: Session) => readonly Write[] | Promise<readonly Write[]>,
  ): Promise<SessionResult> {
    return this.#update(id, caller, (attempt) => {
      const loaded = this.#loaded(id, signal)
      if (loaded instanceof Promise) return loaded.then((session) => this.#mutateOnce(session, attempt, signal, writesFor))
      return this.#mutateOnce(loaded, attempt, signal, writesFor)
    })
  }

  #mutateOnce(
    session: Session,
    attempt: number,
    signal: AbortSignal | undefined,
    writesFor: (session: Session) => readonly Write[] | Promise<readonly Write[]>,
  ): Promise<SessionResult | typeof CONFLICT> {
    const writes = writesFor(session)
    const cycled =
      writes instanceof Promise
        ? writes.then((checked) => this.#cycle(session.namespaces, checked, 'patch', session.id, signal))
        : this.#cycle(session.namespaces, writes, 'patch', session.id, signal)
    return cycled.then((outcome) => this.#save(session, outcome, attempt, signal))
  }

  /** The end of a patch attempt: the result, saved unless nothing changed; {@link CONFLICT} when the store's version moved on. */
  #save(session: Session, outcome: CycleOutcome, attempt: number, signal: AbortSignal | undefined): SessionResult | typeof CONFLICT | Promise<SessionResult | typeof CONFLICT> {
    const report = this.#report(outcome, attempt)
    throwIfAborted(signal)
    if (outcome.report.changed.length === 0) return { session, patch: outcome.patch, report }
    // a session from a deserializing store is a new object each read: measured, not cached
    const size = this.#checkLimits(session.namespaces, outcome, knownSize(session) ?? sizeOf(session.namespaces as JsonValue))
    const now = this.#clock.now()
    const id = session.id
    // expired while the cycle ran: saving would revive it (a store that keeps expired sessions would take the write)
    if (session.expiresAt <= now) throw new SessionNotFoundError(id)
    const next = freezeSession(id, session.version + 1, session.createdAt, now, now + this.#ttlMs, outcome.namespaces, size)
    const written = this.#put(next, session.version)
    if (written instanceof Promise) return written.then((ok) => (ok ? { session: next, patch: outcome.patch, report } : CONFLICT))
    return written ? { session: next, patch: outcome.patch, report } : CONFLICT
  }

  /**
   * Every stateful call on an existing session: queued per session (calls of this engine never
   * race each other), then {@link updateLoop} — re-run after a lost compare-and-set with jittered
   * exponential backoff on the engine's clock, `ConflictError` once the retries are spent.
   */
  #update<T>(id: string, caller: string | undefined, attempt: (attempt: number) => T | typeof CONFLICT | Promise<T | typeof CONFLICT>): Promise<T> {
    return this.#queued(id, caller, () =>
      updateLoop(id, attempt, this.#retry, this.#loopClock, this.#retried),
    )
  }

  /**
   * Runs `task` in session `id`'s queue. A call from a transform of session `caller` is a wait of
   * `caller`'s cycle on `id`'s queue: it is recorded while pending, and refused at once when it
   * closes a loop of such waits (`id` is `caller` with its cycle running here, or `id`'s cycle
   * waits, through recorded calls, on `caller`), which no cycle could ever leave.
   */
  #queued<T>(id: string, caller: string | undefined, task: () => Promise<T>): Promise<T> {
    if (caller === undefined) return this.#queue.run(id, task)
    const loop = caller === id ? (this.#queue.busy(id) ? [caller, id] : undefined) : this.#waitPath(id, caller)
    if (loop !== undefined) return Promise.reject(new ReentrantCallError(id, caller === id ? loop : [caller, ...loop]))
    const edges = this.#waits.get(caller) ?? new Map<string, number>()
    this.#waits.set(caller, edges.set(id, (edges.get(id) ?? 0) + 1))
    const done = () => {
      const left = (edges.get(id) ?? 1) - 1
      if (left > 0) edges.set(id, left)
      else if (edges.delete(id) && edges.size === 0) this.#waits.delete(caller)
    }
    const result = this.#queue.run(id, task)
    result.then(done, done)
    return result
  }

  /** The sessions from `from` to `to` along recorded waits (both included), or `undefined`. */
  #waitPath(from: string, to: string): string[] | undefined {
    const seen = new Set<string>([from])
    const stack: string[][] = [[from]]
    while (stack.length > 0) {
      const path = stack.pop()!
      for (const next of this.#waits.get(path[path.length - 1]!)?.keys() ?? []) {
        if (next === to) return [...path, next]
        if (!seen.has(next)) {
          seen.add(next)
          stack.push([...path, next])
        }
      }
    }
    return undefined
  }

  /**
   * Refuses an outcome over the limits (`InvalidValueError`); returns the new namespaces' size
   * (`baseSize` when they are the base). `baseSize`: the base's, when the caller knows it.
   */
  #checkLimits(base: Namespaces, outcome: CycleOutcome, baseSize: number | undefined): number | undefined {
    if (outcome.namespaces === base) return baseSize
    // a segment the segmenter refuses (too large) is refused with the write, not at the next segmentOf
    if (this.#segment !== undefined && this.#segment.touchedBy(outcome.report.changed)) this.#segment.of(outcome.namespaces)
    const limits = this.#settings.limits
    const size = (baseSize ?? this.#sizeOf(base)) + outcome.sizeDelta
    if (size > limits.maxSessionBytes) {
      throw new InvalidValueError(`the session would be about ${size} bytes, over limits.maxSessionBytes (${limits.maxSessionBytes})`, undefined, {
        limit: 'maxSessionBytes',
      })
    }
    if (outcome.largestNamespace > limits.maxKeysPerNamespace) {
      throw new InvalidValueError(`a namespace would hold more than limits.maxKeysPerNamespace (${limits.maxKeysPerNamespace}) params`, undefined, {
        limit: 'maxKeysPerNamespace',
      })
    }
    if (outcome.namespaceCount > limits.maxNamespaces) {
      throw new InvalidValueError(`the session would have more than limits.maxNamespaces (${limits.maxNamespaces}) namespaces`, undefined, {
        limit: 'maxNamespaces',
      })
    }
    return size
  }

  #sizeOf(namespaces: Namespaces): number {
    let size = this.#sizes.get(namespaces)
    if (size === undefined) {
      size = sizeOf(namespaces as JsonValue)
      this.#sizes.set(namespaces, size)
    }
    return size
  }

  /** `store.get`, answered synchronously when the store is synchronous. */
  #load(id: string): Session | undefined | Promise<Session | undefined> {
    let got: unknown
    let thenable: boolean
    try {
      got = this.#store.get(id)
      // inside the try: reading `then` of a store's garbage (a revoked proxy) throws
      thenable = isThenable(got)
    } catch (error) {
      throw new StoreError('get', error)
    }
    if (!thenable) return this.#adopt(id, got)
    return Promise.resolve(got).then(
      (session) => this.#adopt(id, session),
      (error: unknown) => {
        throw new StoreError('get', error)
      },
    )
  }

  #adopt(id: string, stored: unknown): Session | undefined {
    if (stored === undefined || stored === null) return undefined
    // stores that deserialize (Redis, KV) hand back fresh objects: checked and frozen, so sessions
    // are plain JSON and immutable everywhere (garbage is a StoreError); our own cost one check
    const session = adoptStoredSession(stored, id, this.#settings.limits)
    return session.expiresAt <= this.#clock.now() ? undefined : session
  }

  /** `store.put` (compare-and-set), answered synchronously when the store is synchronous. */
  #put(session: Session, expectedVersion: number | undefined): boolean | Promise<boolean> {
    const inspect = this.#settings.inspect
    const started = inspect === undefined ? 0 : performance.now()
    let written: unknown
    let thenable: boolean
    try {
      written = this.#store.put(session, expectedVersion)
      thenable = isThenable(written)
    } catch (error) {
      return this.#written(session, expectedVersion, putFailure(error), inspect, started)
    }
    if (!thenable) return this.#written(session, expectedVersion, written, inspect, started)
    return Promise.resolve(written).then(
      (answer) => this.#written(session, expectedVersion, answer, inspect, started),
      (error: unknown) => this.#written(session, expectedVersion, putFailure(error), inspect, started),
    )
  }

  #written(session: Session, expectedVersion: number | undefined, written: unknown, inspect: Inspector | undefined, started: number): boolean {
    if (typeof written !== 'boolean') throw new StoreError('put', new TypeError('store.put must return (a promise of) a boolean'))
    if (inspect !== undefined) {
      const sessionId = session.id
      inspect(
        written
          ? { type: 'store:save', sessionId, version: session.version, durationMs: performance.now() - started }
          : { type: 'store:conflict', sessionId, expectedVersion },
      )
    }
    return written
  }
}

/** What a store's `put` failure means: a lost compare-and-set (`false`), else a `StoreError` thrown. */
function putFailure(error: unknown): false {
  if (error instanceof ConflictError) return false
  throw new StoreError('put', error)
}

/** Whether a store answered with a promise (or any thenable) rather than a value. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value instanceof Promise) return true
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
}

/** The session an update attempt read (`SessionNotFoundError` when there is none), the call's signal checked after the read. */
function found(id: string, session: Session | undefined, signal: AbortSignal | undefined): Session {
  if (session === undefined) throw new SessionNotFoundError(id)
  throwIfAborted(signal)
  return session
}

/** The call's `signal` option, checked (`InvalidValueError`); throws its reason when it is already aborted. */
function signalOf(options: unknown): AbortSignal | undefined {
  const signal = callSignal(optionOf(options, 'signal', 'call options'))
  throwIfAborted(signal)
  return signal
}

/** `options[name]` of a host-given options object (`undefined` options: none), read once as a data property. */
function optionOf(options: unknown, name: string, what: string): unknown {
  if (options === undefined) return undefined
  try {
    if (typeof options !== 'object' || options === null) throw new InvalidValueError(`${what} must be an object`)
    const d = Object.getOwnPropertyDescriptor(options, name)
    if (d !== undefined && !('value' in d)) throw new InvalidValueError(`${what}: ${name} must be a data property`)
    return d?.value
  } catch (error) {
    throw asInvalidValue(error, undefined)
  }
}

/**
 * The session of the transform making a call: `options.from`, else the transform whose
 * synchronous part is running; `undefined` for calls from outside any transform (or a pure run's).
 */
function callerOf(options: unknown): string | undefined {
  const from = optionOf(options, 'from', 'write options') ?? runningTransform()
  if (from === undefined) return undefined
  try {
    const sessionId = (from as { sessionId?: unknown }).sessionId
    return typeof sessionId === 'string' ? sessionId : undefined
  } catch (error) {
    throw asInvalidValue(error, undefined)
  }
}
