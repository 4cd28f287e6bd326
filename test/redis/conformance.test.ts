/** The store conformance suite (`sessionflow/testing`) on RedisStore, over both client shapes. */
import { describe, it } from 'vitest'
import { RedisStore } from '../../src/redis'
import { storeConformance } from '../../src/testing'
import { uniquePrefix } from '../support/redis'
import { useRedis } from '../support/redis-hooks'
import { withoutRotate } from '../support/helpers'

describe('RedisStore passes the store conformance suite', () => {
  const redis = useRedis()
  const prefix = uniquePrefix('conformance')
  describe('over ioredis', () => {
    for (const check of storeConformance(() => new RedisStore({ client: redis.client, prefix }))) it(check.name, check.run)
  })
  describe('without its rotate script (the engine falls back to compare-and-set)', () => {
    for (const check of storeConformance(() => withoutRotate(new RedisStore({ client: redis.client, prefix })))) it(check.name, check.run)
  })
  describe('over a node-redis-shaped client (sendCommand)', () => {
    const sendCommand = (args: string[]) => redis.client.call(args[0]!, ...args.slice(1))
    for (const check of storeConformance(() => new RedisStore({ client: { sendCommand }, prefix }))) it(check.name, check.run)
  })
})
