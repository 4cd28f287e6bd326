/**
 * A {@link TransformCache} on Redis: the results of apps declaring `cache`, shared by every
 * process of a fleet. One string key per app and input, `prefix + app + ':' + input`, holding the
 * result as JSON and expiring after the app's `ttlMs` (Redis' own `PX`).
 */
import type { CachedResult, CachePolicy, TransformCache } from '../core/transform-cache'
import { type RedisClientLike, type RedisSend, decode, readClientOptions, withTimeout } from './client'

/** Options of {@link RedisTransformCache}. */
export interface RedisTransformCacheOptions {
  /** The connection: an ioredis client, a node-redis client, or a `RedisSend` function. Never connected or closed here. */
  readonly client: RedisClientLike
  /** Prepended to every key. Default `'sessionflow-cache:'`. */
  readonly prefix?: string
  /** A call that Redis has not answered within this many ms counts as a miss. Default 200; `false`: no limit. */
  readonly timeoutMs?: number | false
}

/**
 * Caches transform results in Redis. A Redis failure or timeout is a miss (the app runs), never a
 * failed call; a value that is not a result is a miss too (the engine checks every result it reads).
 * `maxEntries` does not apply: Redis' memory policy bounds the cache.
 */
export class RedisTransformCache implements TransformCache {
  readonly #send: RedisSend
  readonly #prefix: string
  readonly #timeoutMs: number | undefined

  /** Wraps a client; sends nothing until the first call. */
  constructor(options: RedisTransformCacheOptions) {
    const { send, prefix, timeoutMs } = readClientOptions('RedisTransformCache', options, { prefix: 'sessionflow-cache:', timeoutMs: 200 })
    this.#send = send
    this.#prefix = prefix
    this.#timeoutMs = timeoutMs
  }


  /** The Redis key of an app's result for one input. */
  keyOf(app: string, key: string): string {
    return `${this.#prefix}${app}:${key}`
  }

  /** The cached result (parsed JSON), or `undefined`. */
  async get(app: string, key: string): Promise<CachedResult | undefined> {
    const redisKey = this.keyOf(app, key)
    const reply = await withTimeout(`RedisTransformCache: get of ${redisKey}`, this.#timeoutMs, () => this.#send(['GET', redisKey], redisKey))
    if (reply === null || reply === undefined) return undefined
    return JSON.parse(decode(reply)) as CachedResult
  }

  /** Stores the result as JSON for `policy.ttlMs` (rounded up to whole ms). */
  async set(app: string, key: string, result: CachedResult, policy: CachePolicy): Promise<void> {
    const redisKey = this.keyOf(app, key)
    const ttl = String(Math.max(1, Math.ceil(policy.ttlMs)))
    const json = JSON.stringify({ writes: result.writes.map(({ namespace, key, value }) => ({ namespace, key, value })), undeclared: result.undeclared })
    await withTimeout(`RedisTransformCache: set of ${redisKey}`, this.#timeoutMs, () => this.#send(['SET', redisKey, json, 'PX', ttl], redisKey))
  }
}
