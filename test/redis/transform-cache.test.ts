/** RedisTransformCache against a real redis-server: shared by engines, expiry by Redis, failures are misses. */
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { SessionEngine, cacheTransforms, defineApp } from '../../src/index'
import { RedisTransformCache } from '../../src/redis'
import { freePort, uniquePrefix } from '../support/redis'
import { useRedis } from '../support/redis-hooks'

const redis = useRedis()

function lookup(ttlMs = 60_000) {
  const calls: string[] = []
  const app = defineApp({
    name: 'region',
    input: { public: ['postalCode'] },
    output: { checkout: ['regionId', 'zone'] },
    cache: { ttlMs },
    transform: async (input) => {
      calls.push(String(input.public.postalCode))
      await new Promise((resolve) => setTimeout(resolve, 2))
      return { checkout: { regionId: `r-${String(input.public.postalCode)}`, zone: undefined } }
    },
  })
  return { app, calls }
}

describe('RedisTransformCache', () => {
  it('two engines (two processes) share results; keys are prefix + app + input, with the ttl', async () => {
    const prefix = uniquePrefix('cache')
    const { app, calls } = lookup()
    const a = new SessionEngine({ apps: [app], transformCache: cacheTransforms(new RedisTransformCache({ client: redis.client, prefix })) })
    const b = new SessionEngine({ apps: [app], transformCache: cacheTransforms(new RedisTransformCache({ client: redis.client, prefix })) })
    const first = await a.create({ public: { postalCode: '10115', other: 1 } })
    const second = await b.create({ public: { postalCode: '10115' } })
    expect(calls).toEqual(['10115'])
    expect(second.session.namespaces.checkout).toEqual({ regionId: 'r-10115' })
    expect(first.report.waves[0]!.apps[0]!.cached).toBeUndefined()
    expect(second.report.waves[0]!.apps[0]!.cached).toBe(true)
    const key = `${prefix}region:{"public":{"postalCode":"10115"}}`
    expect(JSON.parse((await redis.client.get(key))!)).toEqual({ writes: [{ namespace: 'checkout', key: 'regionId', value: 'r-10115' }, { namespace: 'checkout', key: 'zone' }] })
    const ttl = await redis.client.pttl(key)
    expect(ttl).toBeGreaterThan(50_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
  })

  it('Redis expires entries after ttlMs', async () => {
    const prefix = uniquePrefix('cache-ttl')
    const { app, calls } = lookup(30)
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms(new RedisTransformCache({ client: redis.client, prefix })) })
    await engine.runCreate({ public: { postalCode: '1' } })
    await new Promise((resolve) => setTimeout(resolve, 80))
    await engine.runCreate({ public: { postalCode: '1' } })
    expect(calls).toEqual(['1', '1'])
  })

  it('foreign data under a key is a miss', async () => {
    const prefix = uniquePrefix('cache-foreign')
    const { app, calls } = lookup()
    const cache = new RedisTransformCache({ client: redis.client, prefix })
    await redis.client.set(cache.keyOf('region', '{"public":{"postalCode":"2"}}'), 'not json')
    await redis.client.set(cache.keyOf('region', '{"public":{"postalCode":"3"}}'), JSON.stringify({ writes: [{ namespace: 'cookie', key: 'x', value: 1 }] }))
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms(cache) })
    expect((await engine.runCreate({ public: { postalCode: '2' } })).namespaces.checkout).toEqual({ regionId: 'r-2' })
    const three = await engine.runCreate({ public: { postalCode: '3' } })
    expect(three.namespaces.checkout).toEqual({ regionId: 'r-3' })
    expect(three.namespaces.cookie).toBeUndefined()
    expect(calls).toEqual(['2', '3'])
  })

  it('an unreachable Redis is a miss: calls still succeed', async () => {
    const port = await freePort()
    const dead = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
    dead.on('error', () => undefined)
    const { app, calls } = lookup()
    const engine = new SessionEngine({ apps: [app], transformCache: cacheTransforms(new RedisTransformCache({ client: dead, timeoutMs: 100 })) })
    for (let i = 0; i < 2; i++) expect((await engine.runCreate({ public: { postalCode: '4' } })).namespaces.checkout).toEqual({ regionId: 'r-4' })
    expect(calls).toEqual(['4', '4'])
    dead.disconnect()
  })

  it('checks its options', () => {
    expect(() => new RedisTransformCache(null as never)).toThrow(TypeError)
    expect(() => new RedisTransformCache({ client: {} as never })).toThrow(TypeError)
    expect(() => new RedisTransformCache({ client: redis.client, prefix: 1 as never })).toThrow(TypeError)
    expect(() => new RedisTransformCache({ client: redis.client, timeoutMs: 0 })).toThrow(TypeError)
  })
})
