import type { JsonValue } from '../model/session'
import type { MaybePromise } from './store'

/** An app's `cache` option: how long a result stays and how many results the default cache keeps per app. */
export interface CachePolicy {
  /** How long a cached result is used, in ms of the engine's clock. */
  readonly ttlMs: number
  /** Most results kept for this app by the in-memory cache (least recently used dropped first). Default 1000. */
  readonly maxEntries: number
}

/** One cached write: a param and its value; no `value` means the app deleted the param. */
export interface CachedWrite {
  readonly namespace: string
  readonly key: string
  readonly value?: JsonValue
}

/** A transform's result as the cache holds it: JSON-serializable, so it can live outside the engine's memory (Redis, a KV store). */
export interface CachedResult {
  /** What the app wrote (declared params only, after the `schema` validators). */
  readonly writes: readonly CachedWrite[]
  /** Writes outside the app's `output`, reported again on every hit. */
  readonly undeclared?: readonly string[]
}

/**
 * Where the engine keeps the results of apps declaring `cache`. `key` is the canonical JSON of the
 * app's input; `app` is its name. Either method may be sync or async; a method that throws or
 * rejects counts as a miss (get) or is ignored (set): a cache never fails a call. Implementations
 * must treat the value as data: the engine re-checks results that are not its own objects.
 */
export interface TransformCache {
  /** The result cached for this app and input, or `undefined`. */
  get(app: string, key: string): MaybePromise<CachedResult | undefined>
  /** Stores a successful result for `policy.ttlMs`. */
  set(app: string, key: string, result: CachedResult, policy: CachePolicy): MaybePromise<void>
}

/** Options of {@link MemoryTransformCache}. */
export interface MemoryTransformCacheOptions {
  /** Time source for expiry. The engine's default cache uses the engine's clock. Default `Date.now`. */
  readonly now?: () => number
}

interface Entry {
  readonly result: CachedResult
  readonly expiresAt: number
}

/**
 * The default {@link TransformCache}: per app, a map in least-recently-used order, bounded by the
 * app's `maxEntries`; an entry older than `ttlMs` is dropped when read. Synchronous, so a hit
 * costs no promise.
 */
export class MemoryTransformCache implements TransformCache {
  readonly #apps = new Map<string, Map<string, Entry>>()
  readonly #now: () => number

  /** Creates an empty cache. */
  constructor(options: MemoryTransformCacheOptions = {}) {
    this.#now = options.now ?? (() => Date.now())
  }

  /** The cached result, or `undefined` when absent or expired (an expired one is dropped). */
  get(app: string, key: string): CachedResult | undefined {
    const entries = this.#apps.get(app)
    const entry = entries?.get(key)
    if (entry === undefined) return undefined
    entries!.delete(key)
    if (entry.expiresAt <= this.#now()) return undefined
    // re-inserted: a Map iterates in insertion order, so the first key is the least recently used
    entries!.set(key, entry)
    return entry.result
  }

  /** Stores the result; drops the least recently used entries beyond `policy.maxEntries`. */
  set(app: string, key: string, result: CachedResult, policy: CachePolicy): void {
    let entries = this.#apps.get(app)
    if (entries === undefined) this.#apps.set(app, (entries = new Map()))
    entries.delete(key)
    entries.set(key, { result, expiresAt: this.#now() + policy.ttlMs })
    while (entries.size > policy.maxEntries) entries.delete(entries.keys().next().value!)
  }

  /** Number of entries held for `app` (for all apps when omitted), expired ones included until read. */
  size(app?: string): number {
    if (app !== undefined) return this.#apps.get(app)?.size ?? 0
    let size = 0
    for (const entries of this.#apps.values()) size += entries.size
    return size
  }
}
