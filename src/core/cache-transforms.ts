import { CacheRunner } from './cached-run'
import { MemoryTransformCache, type TransformCache } from './transform-cache'
import { ConfigError } from '../model/errors'

/**
 * The engine's `transformCache` option, made by {@link cacheTransforms}: what runs the apps that
 * declare `cache`. An engine without it carries none of the caching code.
 */
export interface TransformCaching {
  /** The cache runner of one engine, on that engine's clock (`now`). */
  readonly runnerFor: (now: () => number) => CacheRunner
}

/**
 * Turns on the `cache` declarations of apps: `transformCache: cacheTransforms()` keeps their
 * results in a `MemoryTransformCache` per engine, on the engine's clock;
 * `cacheTransforms(new RedisTransformCache({ client }))` shares them across processes (any
 * {@link TransformCache} fits). Throws `ConfigError` when `cache` lacks `get()` or `set()`.
 */
export function cacheTransforms(cache?: TransformCache): TransformCaching {
  if (cache !== undefined && (typeof cache?.get !== 'function' || typeof cache.set !== 'function')) {
    throw new ConfigError('cacheTransforms: the cache must have get() and set() methods')
  }
  return Object.freeze({ runnerFor: (now: () => number) => new CacheRunner(cache ?? new MemoryTransformCache({ now })) })
}
