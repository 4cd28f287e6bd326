import type { CompiledApp } from './app'
import type { Timers } from './clock'
import { canonicalJson } from '../util/canonical-json'
import { type Limits, isPlainObject, toJson } from '../util/json'
import type { JsonValue, Write } from '../model/session'
import { type Settled, runApp } from './run-app'
import type { CachedResult, TransformCache } from './transform-cache'

const miss = () => undefined

/**
 * The engine's side of the transform cache (apps declaring `cache`): looks results up by the
 * canonical JSON of the input, shares one run among concurrent runs with the same input (in
 * flight), and stores successful results only — a failure or a timeout is never cached.
 */
export class CacheRunner {
  readonly #cache: TransformCache
  /** Per app index: canonical input -> the run every concurrent caller shares. */
  readonly #inflight: Array<Map<string, Promise<Settled>> | undefined> = []
  /** Results this engine stored, with their checked writes: read back (in-process cache), they skip the re-check. */
  readonly #own = new WeakMap<CachedResult, readonly Write[]>()

  /** Wraps the engine's cache. */
  constructor(cache: TransformCache) {
    this.#cache = cache
  }

  /** Runs a caching app like `runApp` does, from the cache when it can. */
  run(app: CompiledApp, input: unknown, sessionId: string | undefined, wave: number, limits: Limits, timers: Timers, start: number): Settled | Promise<Settled> {
    const key = canonicalJson(input as JsonValue)
    const inflight = (this.#inflight[app.index] ??= new Map<string, Promise<Settled>>())
    const pending = inflight.get(key)
    if (pending !== undefined) return pending.then((settled) => joined(settled, start))
    let hit: CachedResult | undefined | PromiseLike<CachedResult | undefined>
    try {
      hit = this.#cache.get(app.name, key)
    } catch {
      hit = undefined
    }
    if (!isThenable(hit)) {
      const cached = hit === undefined ? undefined : this.#fromCache(app, hit, limits, start)
      if (cached !== undefined) return cached
      const run = this.#lead(app, input, key, sessionId, wave, limits, timers, start)
      if (run instanceof Promise) this.#share(inflight, key, run)
      return run
    }
    // the lookup itself is shared too: concurrent misses on a remote cache make one call, not one each
    const run = Promise.resolve(hit)
      .then((result) => (result === undefined ? undefined : this.#fromCache(app, result, limits, start)), miss)
      .then((cached) => cached ?? this.#lead(app, input, key, sessionId, wave, limits, timers, start))
    this.#share(inflight, key, run)
    return run
  }

  #share(inflight: Map<string, Promise<Settled>>, key: string, run: Promise<Settled>): void {
    inflight.set(key, run)
    void run.then(() => {
      if (inflight.get(key) === run) inflight.delete(key)
    })
  }

  #lead(
    app: CompiledApp,
    input: unknown,
    key: string,
    sessionId: string | undefined,
    wave: number,
    limits: Limits,
    timers: Timers,
    start: number,
  ): Settled | Promise<Settled> {
    const run = runApp(app, input, sessionId, wave, limits, timers, start)
    if (run instanceof Promise) return run.then((settled) => this.#store(app, key, settled))
    return this.#store(app, key, run)
  }

  #store(app: CompiledApp, key: string, settled: Settled): Settled {
    if (settled.error !== undefined) return settled
    const result: CachedResult = settled.undeclared === undefined ? { writes: settled.writes } : { writes: settled.writes, undeclared: settled.undeclared }
    this.#own.set(result, settled.writes)
    try {
      const stored = this.#cache.set(app.name, key, result, app.cache!)
      if (isThenable(stored)) Promise.resolve(stored).catch(miss)
    } catch {
      // a cache that cannot store is only a slower cache
    }
    return settled
  }

  /** A settled run from a cached result, or `undefined` (a miss) when the result is malformed. */
  #fromCache(app: CompiledApp, result: CachedResult, limits: Limits, start: number): Settled | undefined {
    const own = this.#own.get(result)
    if (own !== undefined) return hit(app, start, own, result.undeclared)
    // a result from outside the process (a shared cache) is data: only declared params, only JSON
    try {
      if (!isPlainObject(result) || !Array.isArray(result.writes)) return undefined
      const writes: Write[] = []
      for (const write of result.writes as unknown[]) {
        if (!isPlainObject(write) || typeof write.namespace !== 'string' || typeof write.key !== 'string') return undefined
        const local = app.outputParams.get(write.namespace)?.get(write.key)
        if (local === undefined) return undefined
        const { param } = app.outputList[local]!
        const value = write.value === undefined ? undefined : toJson(write.value, param, limits)
        writes.push({ namespace: write.namespace, key: write.key, param, value })
      }
      const undeclared = result.undeclared
      if (undeclared !== undefined && !(Array.isArray(undeclared) && undeclared.every((u) => typeof u === 'string'))) return undefined
      return hit(app, start, writes, undeclared === undefined || undeclared.length === 0 ? undefined : [...undeclared])
    } catch {
      return undefined
    }
  }
}

function hit(app: CompiledApp, start: number, writes: readonly Write[], undeclared: readonly string[] | undefined): Settled {
  return { app, durationMs: performance.now() - start, writes, undeclared, error: undefined, cached: true }
}

/** What a run that joined another's gets: the same writes; `cached` unless the shared run failed. */
function joined(settled: Settled, start: number): Settled {
  if (settled.error !== undefined) return { ...settled, durationMs: performance.now() - start }
  return hit(settled.app, start, settled.writes, settled.undeclared)
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<T>).then === 'function'
}
