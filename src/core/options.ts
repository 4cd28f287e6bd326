import { type AppFor, MAX_TIMEOUT_MS } from './app'
import type { TransformCaching } from './cache-transforms'
import { type Clock, systemClock } from './clock'
import { ConfigError } from '../model/errors'
import { functionOption, hasMethods, integerOption, msOption } from '../util/config-values'
import { randomId } from '../util/ids'
import { DEFAULT_LIMITS, type Limits } from '../util/json'
import { nameProblem } from '../util/names'
import type { Inspector } from '../features/inspect'
import type { Segmenter } from '../features/segment'
import type { SchemaValidators, SessionValidator } from '../features/schema'
import type { Namespaces } from '../model/session'
import { MemoryStore, type SessionStore } from './store'
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './update-loop'

/** 30 minutes. */
export const DEFAULT_TTL_MS = 30 * 60_000

/**
 * Longest `ttlMs` accepted: 100 years. Bounded so that `now + ttlMs` stays an exact integer and a
 * time every store can hold (Redis' `PEXPIREAT` refuses times past about 9.2e18 ms).
 */
export const MAX_TTL_MS = 100 * 365 * 24 * 3_600_000

/** Options of {@link SessionEngine}. */
export interface SessionEngineOptions<S extends object = Namespaces> {
  /**
   * The apps, in order; the order decides which of two same-wave writes of one param wins (the
   * later). In an engine typed by a schema, every input and output must be a param of the schema.
   */
  readonly apps?: readonly AppFor<NoInfer<S>>[]
  /** Where sessions live. Default: a new {@link MemoryStore} using the engine's clock. */
  readonly store?: SessionStore
  /** Source of time: sessions expire by its `now()`, app timeouts run on its timers (the global ones if it has none). Default: the system clock. */
  readonly clock?: Clock
  /** Most waves triggered by changed params in one cycle (the create wave not counted). Default 100. */
  readonly maxWaves?: number
  /** Sliding expiry: a session expires this long after its last saved change or touch. Default 30 minutes, at most {@link MAX_TTL_MS}. */
  readonly ttlMs?: number
  /** Namespaces clients may write through `patch`. Default `['public']`. */
  readonly writableNamespaces?: readonly string[]
  /** Size limits; any omitted field keeps its default ({@link DEFAULT_LIMITS}). */
  readonly limits?: Partial<Limits>
  /** Timeout for apps that set no `timeoutMs` of their own. Default: none. */
  readonly timeoutMs?: number
  /**
   * Re-runs after a compare-and-set conflict with another process before `ConflictError`, each
   * after a random pause on the engine's clock (0 to 2, 4, 8, ... ms, capped at 100). Default 30:
   * at most 31 attempts and 2.5 s of pauses (see {@link DEFAULT_RETRY_POLICY}).
   */
  readonly maxConflictRetries?: number
  /** Session id generator; default 128 random bits from Web Crypto. For deterministic tests. */
  readonly generateId?: () => string
  /**
   * Per-param validators implementing Standard Schema (zod, valibot, arktype...), made by
   * `sessionSchema({ ns: { key: validator } })`. Values written by callers that fail are refused
   * with `InvalidValueError` (`error.issues`); app outputs that fail are isolated like a failing
   * app. Types the engine.
   */
  readonly schema?: SessionValidator<SchemaValidators<S>>
  /**
   * How `durationMs` of synchronous app runs is measured. `'wave'` (default): the sync apps of a
   * wave share its time equally (one clock read per wave boundary, not one per app). `'app'`: each
   * is timed on its own. Async apps, and every app while `inspect` is set, are always timed on
   * their own.
   */
  readonly timing?: 'wave' | 'app'
  /** Receives typed events (cycles, waves, apps, store); see {@link InspectEvent}. Costs nothing when absent. */
  readonly inspect?: Inspector
  /**
   * Runs the apps declaring `cache`, which need it: `cacheTransforms()` (a `MemoryTransformCache`
   * per engine, on the engine's clock) or `cacheTransforms(cache)` to share one across processes
   * (e.g. `RedisTransformCache` from `sessionflow/redis`).
   */
  readonly transformCache?: TransformCaching
  /**
   * What makes up a visitor's segment (a shared cache key): a {@link Segmenter}, such as
   * `segmentBy({ params: [...] })` or `vtexSegment()`. See {@link SessionEngine.segmentOf}.
   */
  readonly segment?: Segmenter
}

/** The engine's plain options, checked, with their defaults filled in. */
export interface CheckedOptions {
  readonly limits: Limits
  readonly maxWaves: number
  /** The apps' default timeout, ms. */
  readonly timeoutMs: number | undefined
  readonly clock: Clock
  /** The given store, or a new {@link MemoryStore} on `clock`. */
  readonly store: SessionStore
  readonly ttlMs: number
  readonly writable: ReadonlySet<string>
  /** The update loop's retry policy (`maxConflictRetries` over {@link DEFAULT_RETRY_POLICY}). */
  readonly retry: RetryPolicy
  readonly generateId: () => string
  /** The `segment` option, checked to be a {@link Segmenter}. */
  readonly segment: Segmenter | undefined
  /** The `schema` option, checked to be made by `sessionSchema`. */
  readonly schema: SessionValidator | undefined
  /** The `transformCache` option, checked to be made by `cacheTransforms`. */
  readonly transformCache: TransformCaching | undefined
}

/**
 * Checks the engine's options and fills in the defaults; throws `ConfigError` naming the first
 * bad one. What needs compiling (apps) is checked where it is compiled; feature options (`schema`,
 * `segment`) are values made by the feature's own function, and a plain object in their place is
 * refused with what to write instead, so the engine never needs a feature's code.
 */
export function checkOptions<S extends object>(options: SessionEngineOptions<S>): CheckedOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigError('options must be an object')
  const limits = { ...DEFAULT_LIMITS, ...options.limits }
  for (const [name, value] of Object.entries(limits)) {
    integerOption(value ?? 0, 0, `limits.${name}`, 1, name === 'maxDepth' ? 1_000 : undefined)
  }
  functionOption(options.inspect, 'inspect')
  const clock = options.clock ?? systemClock
  if (!hasMethods(clock, ['now'])) throw new ConfigError('clock must have a now() method')
  if ((clock.setTimeout !== undefined || clock.clearTimeout !== undefined) && !hasMethods(clock, ['setTimeout', 'clearTimeout'])) {
    throw new ConfigError('clock must have both setTimeout() and clearTimeout() methods, or neither')
  }
  const store = options.store ?? new MemoryStore({ now: () => clock.now() })
  if (!hasMethods(store, ['get', 'put', 'delete'])) throw new ConfigError('store must have get(), put() and delete() methods')
  const writable = options.writableNamespaces ?? ['public']
  if (!Array.isArray(writable)) throw new ConfigError('writableNamespaces must be an array of namespace names')
  for (const ns of writable) {
    const problem = nameProblem(ns)
    if (problem !== undefined) throw new ConfigError(`writableNamespaces: namespace ${problem}`)
  }
  if (options.timing !== undefined && options.timing !== 'wave' && options.timing !== 'app') throw new ConfigError("timing must be 'wave' or 'app'")
  for (const name of ['cycles', 'strict']) {
    if ((options as Record<string, unknown>)[name] !== undefined) {
      throw new ConfigError(`the ${name} option moved out of the engine: call describeGraph(options, { ${name}: ... }) (import { describeGraph } from 'sessionflow')`)
    }
  }
  return {
    limits,
    maxWaves: integerOption(options.maxWaves, 100, 'maxWaves'),
    timeoutMs: msOption(options.timeoutMs, undefined, 'timeoutMs', MAX_TIMEOUT_MS),
    clock,
    store,
    ttlMs: msOption(options.ttlMs, DEFAULT_TTL_MS, 'ttlMs', MAX_TTL_MS),
    writable: new Set(writable),
    retry: { ...DEFAULT_RETRY_POLICY, maxRetries: integerOption(options.maxConflictRetries, DEFAULT_RETRY_POLICY.maxRetries, 'maxConflictRetries', 0) },
    generateId: functionOption(options.generateId, 'generateId') ?? randomId,
    segment: feature(options, 'segment', ['of', 'touchedBy'], 'segmentBy', 'segmentBy({ params: [...] }) or another Segmenter (of() and touchedBy()) such as vtexSegment()'),
    transformCache: feature(options, 'transformCache', ['runnerFor'], 'cacheTransforms', 'cacheTransforms(cache?)'),
    schema: feature(options, 'schema', ['covers', 'validate'], 'sessionSchema', 'sessionSchema({ namespace: { key: validator } })'),
  }
}

/**
 * A feature option: `undefined`, or an object with these methods, made by the feature's function
 * `maker`; anything else (such as the plain form the option once took) is a `ConfigError` saying
 * what to write instead.
 */
function feature<T>(options: object, name: string, methods: readonly string[], maker: string, example: string): T | undefined {
  const value = (options as Record<string, unknown>)[name]
  if (value !== undefined && !hasMethods(value, methods)) {
    throw new ConfigError(`${name} must be made by ${maker}(): write ${name}: ${example} (import { ${maker} } from 'sessionflow')`)
  }
  return value as T | undefined
}
