/** The switch that leaves the Redis suites out of a run without a Redis, and says so. */
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { missingRedis, redisNotRunLine, redisServerProblem, redisSuites } from '../support/redis-switch'

const root = fileURLToPath(new URL('../..', import.meta.url))

describe('the Redis switch', () => {
  it('finds the suites that start a Redis, and only those', () => {
    const suites = redisSuites(root)
    expect(suites).toEqual(expect.arrayContaining(['test/redis/redis-store.test.ts', 'test/redis/conformance.test.ts', 'test/redis/multiprocess.test.ts']))
    // suites that need no server always run
    for (const always of ['test/redis/store.test.ts', 'test/redis/switch.test.ts', 'test/testing/store-conformance.test.ts', 'test/core/engine.test.ts']) {
      expect(suites).not.toContain(always)
    }
  })

  it('SESSIONFLOW_REDIS_URL counts as a Redis; without it, redis-server on PATH decides', () => {
    expect(missingRedis({ SESSIONFLOW_REDIS_URL: 'redis://127.0.0.1:1' })).toBeUndefined()
    expect(missingRedis({ SESSIONFLOW_REDIS_URL: '' })).toBe(missingRedis({}))
    const onPath = redisServerProblem()
    const missing = missingRedis({})
    if (onPath === undefined) expect(missing).toBeUndefined()
    else expect(missing).toBe(`${onPath}, and SESSIONFLOW_REDIS_URL is not set`)
  })

  it('the line names every suite left out, why, and how to run them', () => {
    const line = redisNotRunLine(['test/redis/a.test.ts', 'test/redis/b.test.ts'], 'no redis here')
    expect(line).not.toContain('\n')
    for (const part of ['NOT RUN', '2 files', 'test/redis/a.test.ts', 'test/redis/b.test.ts', 'no redis here', 'SESSIONFLOW_REDIS_URL', 'redis-server', 'SESSIONFLOW_REQUIRE_REDIS=1']) {
      expect(line).toContain(part)
    }
  })
})
