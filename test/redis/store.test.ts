/**
 * RedisStore without a server: its options and the sessions it refuses before sending anything.
 * The behaviour against a real redis-server is in redis-store.test.ts.
 */
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError, type Session, SessionEngine } from '../../src/index'
import { RedisStore } from '../../src/redis'

// an ioredis client that never connects: lazyConnect, and no command is ever sent through it
const idle = new Redis({ lazyConnect: true })
afterAll(() => idle.disconnect())

describe('RedisStore, before anything is sent', () => {
  it('rejects bad options', () => {
    expect(() => new RedisStore({ client: {} as never })).toThrow(TypeError)
    expect(() => new RedisStore({ client: idle, timeoutMs: 0 })).toThrow(TypeError)
    expect(() => new RedisStore({ client: idle, prefix: 1 as never })).toThrow(TypeError)
    expect(() => new RedisStore(undefined as never)).toThrow(TypeError)
  })

  it('a ttl Redis cannot hold is refused by the engine; an expiresAt past JavaScript time by the store, before sending', async () => {
    expect(() => new SessionEngine({ store: new RedisStore({ client: idle, prefix: 'p:' }), ttlMs: 1e19 })).toThrow(ConfigError)
    const sent: string[][] = []
    const store = new RedisStore({ client: (args) => (sent.push(args), Promise.resolve(1)), prefix: 'p:' })
    const base: Session = { id: 'x', version: 1, createdAt: 0, updatedAt: 0, expiresAt: 1e19, namespaces: {} }
    await expect(store.put(base, undefined)).rejects.toThrow(TypeError)
    await expect(store.put({ ...base, expiresAt: 8.64e15 + 1 }, undefined)).rejects.toThrow(TypeError)
    expect(sent).toEqual([])
  })

  it('refuses sessions it cannot expire before sending anything', async () => {
    const sent: string[][] = []
    const store = new RedisStore({ client: (args) => (sent.push(args), Promise.resolve(1)), prefix: 'p:' })
    const base: Session = { id: 'x', version: 1, createdAt: 0, updatedAt: 0, expiresAt: Number.NaN, namespaces: {} }
    await expect(store.put(base, undefined)).rejects.toThrow(TypeError)
    await expect(store.put({ ...base, expiresAt: 1, version: 1.5 }, undefined)).rejects.toThrow(TypeError)
    await expect(store.put({ ...base, expiresAt: 1 }, 0.5)).rejects.toThrow(TypeError)
    expect(sent).toEqual([])
  })
})
