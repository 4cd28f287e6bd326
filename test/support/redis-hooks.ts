/** The Redis of one test file (or describe block): started before its tests, stopped after them. */
import type { Redis } from 'ioredis'
import { afterAll, beforeAll } from 'vitest'
import { type TestRedis, connect, startRedis } from './redis'

/** A started Redis and a connected ioredis client; read them inside tests and hooks only. */
export interface RedisForTests {
  readonly url: string
  readonly client: Redis
}

/**
 * Registers `beforeAll`/`afterAll` hooks that start (or find, see `startRedis`) a Redis and
 * connect a client, then quit and stop them. Call at the top of a test file or describe block.
 */
export function useRedis(): RedisForTests {
  let redis: TestRedis | undefined
  let client: Redis | undefined
  beforeAll(async () => {
    redis = await startRedis()
    client = connect(redis.url)
  })
  afterAll(async () => {
    await client?.quit()
    await redis?.stop()
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('Redis is not started: use it inside tests and hooks, not while collecting them')
    return value
  }
  return {
    get url() {
      return started(redis).url
    },
    get client() {
      return started(client)
    },
  }
}
