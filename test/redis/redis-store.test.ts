/**
 * RedisStore against a real redis-server: key layout and expiry, one key per command, the
 * compare-and-set script, agreement with MemoryStore, and failure behaviour (slow, stalled,
 * unreachable Redis; foreign data under a key).
 */
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { ManualClock, MemoryStore, type Session, SessionEngine, StoreError } from '../../src/index'
import { PUT_SCRIPT, RedisStore, type RedisSend } from '../../src/redis'
import { commerceApps } from '../support/commerce'
import { fcParams } from '../support/fc'
import { startProxy } from './proxy'
import { connect, freePort, uniquePrefix } from '../support/redis'
import { useRedis } from '../support/redis-hooks'

const redis = useRedis()
let run = 0

const prefix = () => uniquePrefix(`store${run++}`)
const viaCall: RedisSend = (args) => redis.client.call(args[0]!, ...args.slice(1))

async function expectStoreError(promise: Promise<unknown>, operation: 'get' | 'put' | 'delete'): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(StoreError)
  expect((error as StoreError).code).toBe('STORE')
  expect((error as StoreError).operation).toBe(operation)
  return error as StoreError
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`gave up waiting for ${what}`)
}

describe('RedisStore layout', () => {
  it('keeps one hash per session under the prefix, expiring at expiresAt; patch and touch renew it', async () => {
    const p = prefix()
    const store = new RedisStore({ client: redis.client, prefix: p })
    const engine = new SessionEngine({ apps: commerceApps, store, ttlMs: 60_000 })
    const { session } = await engine.create({ public: { country: 'US' } })
    const key = `${p}${session.id}`
    expect(store.keyOf(session.id)).toBe(key)
    const hash = await redis.client.hgetall(key)
    expect(Object.keys(hash).sort()).toEqual(['d', 'v'])
    expect(hash.v).toBe('1')
    expect(JSON.parse(hash.d!)).toEqual(session)
    expect(Number(await redis.client.call('PEXPIRETIME', key))).toBe(session.expiresAt)

    const patched = await engine.patch(session.id, { public: { postalCode: '10115' } })
    expect((await redis.client.hget(key, 'v'))).toBe('2')
    expect(Number(await redis.client.call('PEXPIRETIME', key))).toBe(patched.session.expiresAt)

    await new Promise((resolve) => setTimeout(resolve, 5))
    const touched = await engine.touch(session.id)
    expect(touched.version).toBe(2)
    expect(touched.expiresAt).toBeGreaterThan(patched.session.expiresAt)
    expect(Number(await redis.client.call('PEXPIRETIME', key))).toBe(touched.expiresAt)
    expect(JSON.parse((await redis.client.hget(key, 'd'))!)).toEqual(touched)

    await engine.delete(session.id)
    expect(await redis.client.exists(key)).toBe(0)
  })

  it('uses the prefix "sessionflow:" by default', async () => {
    const store = new RedisStore({ client: redis.client })
    expect(store.keyOf('abc')).toBe('sessionflow:abc')
    const engine = new SessionEngine({ store })
    const { session } = await engine.create({ public: { a: 1 } })
    try {
      expect(await redis.client.hget(`sessionflow:${session.id}`, 'v')).toBe('1')
    } finally {
      await engine.delete(session.id)
    }
  })

  it('sends one single-key command per store call, naming that key for routing; put is one round trip', async () => {
    const p = prefix()
    const sent: Array<{ args: string[]; key: string }> = []
    const send: RedisSend = (args, key) => {
      sent.push({ args, key })
      return viaCall(args, key)
    }
    const engine = new SessionEngine({ apps: commerceApps, store: new RedisStore({ client: send, prefix: p }) })
    await redis.client.script('FLUSH') // the first put must recover from NOSCRIPT
    const { session } = await engine.create({ public: { country: 'DE' } })
    expect(sent.map((c) => c.args[0])).toEqual(['EVALSHA', 'EVAL'])
    sent.length = 0
    await engine.patch(session.id, { public: { country: 'FR' } })
    await engine.touch(session.id)
    await engine.get(session.id)
    await engine.delete(session.id)
    expect(sent.map((c) => c.args[0])).toEqual(['HGET', 'EVALSHA', 'HGET', 'EVALSHA', 'HGET', 'DEL'])
    const key = `${p}${session.id}`
    for (const { args, key: routed } of sent) {
      expect(routed).toBe(key)
      if (args[0] === 'EVALSHA') expect(args.slice(2, 4)).toEqual(['1', key])
      else expect(args[1]).toBe(key)
      expect(args.filter((a) => a.startsWith(p))).toEqual([key])
    }
  })

  it('hands the engine fresh objects, which the engine deep-freezes', async () => {
    const engine = new SessionEngine({ store: new RedisStore({ client: redis.client, prefix: prefix() }) })
    const { session } = await engine.create({ public: { list: [{ a: [1] }] } })
    const read = (await engine.get(session.id))!
    expect(read).not.toBe(session)
    expect(read).toEqual(session)
    const list = read.namespaces.public!.list as ReadonlyArray<{ a: number[] }>
    for (const value of [read, read.namespaces, read.namespaces.public, list, list[0], list[0]!.a]) expect(Object.isFrozen(value)).toBe(true)
  })

  it('runs the realistic graph end to end', async () => {
    const engine = new SessionEngine({ apps: commerceApps, store: new RedisStore({ client: redis.client, prefix: prefix() }) })
    const { session } = await engine.create({ public: { country: 'GB' } })
    const login = await engine.patch(session.id, { cookie: { authToken: 'user:7:ann@example.com' } }, { allow: ['cookie'] })
    expect(login.session.namespaces.profile).toEqual({ email: 'ann@example.com', isAuthenticated: true })
    expect(await engine.get(session.id, { items: ['store.*', 'campaigns.active'] })).toMatchObject({
      version: 2,
      namespaces: { store: { channel: 'web', currencyCode: 'GBP' }, campaigns: { active: ['staff'] } },
    })
  })

  it('agrees with MemoryStore on every sequence of get, put (any expected version) and delete', async () => {
    const op = fc.oneof(
      fc.record({ type: fc.constant('put' as const), id: fc.constantFrom('a', 'b'), version: fc.integer({ min: 1, max: 4 }), expected: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }) }),
      fc.record({ type: fc.constant('get' as const), id: fc.constantFrom('a', 'b') }),
      fc.record({ type: fc.constant('delete' as const), id: fc.constantFrom('a', 'b') }),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const redisStore = new RedisStore({ client: redis.client, prefix: prefix() })
        const memory = new MemoryStore()
        const now = Date.now()
        for (const [n, o] of ops.entries()) {
          if (o.type === 'put') {
            const session: Session = { id: o.id, version: o.version, createdAt: now, updatedAt: now + n, expiresAt: now + 3_600_000, namespaces: { public: { n } } }
            expect(await redisStore.put(session, o.expected)).toBe(memory.put(session, o.expected))
          } else if (o.type === 'get') {
            expect(await redisStore.get(o.id)).toEqual(memory.get(o.id))
          } else {
            await redisStore.delete(o.id)
            memory.delete(o.id)
          }
        }
        for (const id of ['a', 'b']) expect(await redisStore.get(id)).toEqual(memory.get(id))
      }),
      fcParams(40),
    )
  })

  it('accepts an ioredis client, a node-redis-shaped client and a send function', async () => {
    const nodeRedisShaped = { sendCommand: (args: string[]) => redis.client.call(args[0]!, ...args.slice(1)) }
    for (const c of [redis.client, nodeRedisShaped, viaCall]) {
      const engine = new SessionEngine({ store: new RedisStore({ client: c, prefix: prefix() }) })
      const { session } = await engine.create({ public: { n: 1 } })
      expect((await engine.patch(session.id, { public: { n: 2 } })).session.version).toBe(2)
      expect((await engine.get(session.id))?.namespaces).toEqual({ public: { n: 2 } })
    }
  })
})

describe('RedisStore failures', () => {
  it('a stalled session fails with StoreError and writes nothing, while other sessions keep being served', async () => {
    const p = prefix()
    const stalled = new Set<string>()
    const stallPuts = new Set<string>()
    const send: RedisSend = (args, key) => {
      const isPut = args[0] === 'EVALSHA' || args[0] === 'EVAL'
      if (stalled.has(key) || (isPut && stallPuts.has(key))) return new Promise(() => undefined)
      return viaCall(args, key)
    }
    // without a timeout a stalled call hangs, but only its own session's queue waits for it
    const patient = new SessionEngine({ store: new RedisStore({ client: send, prefix: p, timeoutMs: false }) })
    const a = (await patient.create({ public: { n: 0 } })).session
    const b = (await patient.create({ public: { n: 0 } })).session
    stalled.add(`${p}${a.id}`)
    let aSettled = false
    void patient.patch(a.id, { public: { n: 1 } }).finally(() => (aSettled = true)).catch(() => undefined)
    for (let n = 1; n <= 20; n++) expect((await patient.patch(b.id, { public: { n } })).session.version).toBe(n + 1)
    expect(aSettled).toBe(false)

    // with a timeout the stalled call becomes a StoreError: a stalled read...
    const engine = new SessionEngine({ store: new RedisStore({ client: send, prefix: p, timeoutMs: 250 }) })
    await expectStoreError(engine.patch(a.id, { public: { n: 1 } }), 'get')
    // ...and a stalled write, which never reached Redis: the stored session is untouched
    stalled.clear()
    stallPuts.add(`${p}${a.id}`)
    await expectStoreError(engine.patch(a.id, { public: { n: 1 } }), 'put')
    expect(JSON.parse((await redis.client.hget(`${p}${a.id}`, 'd'))!)).toEqual(a)
    expect((await engine.patch(b.id, { public: { n: 99 } })).session.version).toBe(22)
    // once Redis answers again the session works, its queue is not stuck
    stallPuts.clear()
    expect((await engine.patch(a.id, { public: { n: 1 } })).session.version).toBe(2)
  })

  it('a stalled connection fails calls with StoreError; a write in flight lands whole, not half', async () => {
    const proxy = await startProxy(redis.url)
    const proxied = connect(proxy.url)
    try {
      const p = prefix()
      let pauseBeforePut = false
      const send: RedisSend = (args) => {
        if (pauseBeforePut && (args[0] === 'EVALSHA' || args[0] === 'EVAL')) proxy.pause()
        return proxied.call(args[0]!, ...args.slice(1))
      }
      const engine = new SessionEngine({ apps: commerceApps, store: new RedisStore({ client: send, prefix: p, timeoutMs: 250 }) })
      const a = (await engine.create({ public: { country: 'DE' } })).session
      const b = (await engine.create({ public: { country: 'FR' } })).session
      pauseBeforePut = true
      await expectStoreError(engine.patch(a.id, { public: { country: 'US', postalCode: '94110' } }), 'put')
      pauseBeforePut = false
      await expectStoreError(engine.get(b.id), 'get')
      proxy.resume()
      // the write was sent before the stall: the script runs after it, atomically
      const key = `${p}${a.id}`
      await until(async () => (await redis.client.hget(key, 'v')) === '2', 'the delayed write')
      const stored = (await engine.get(a.id))!
      expect(stored.version).toBe(2)
      expect(stored.namespaces).toEqual({
        public: { country: 'US', postalCode: '94110' },
        store: { channel: 'web', currencyCode: 'USD' },
        checkout: { regionId: 'us-9' },
      })
      expect((await engine.patch(a.id, { public: { postalCode: '10001' } })).session.version).toBe(3)
      expect((await engine.get(b.id))?.version).toBe(1)
    } finally {
      proxied.disconnect()
      await proxy.close()
    }
  })

  it('an unreachable Redis fails every call with StoreError, with or without an offline queue', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`
    const failFast = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
    const queueing = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 })
    for (const c of [failFast, queueing]) c.on('error', () => undefined)
    try {
      for (const c of [failFast, queueing]) {
        const engine = new SessionEngine({ store: new RedisStore({ client: c, timeoutMs: 100 }) })
        await expectStoreError(engine.create({ public: { n: 1 } }), 'put')
        await expectStoreError(engine.get('some-id'), 'get')
        await expectStoreError(engine.patch('some-id', { public: { n: 1 } }), 'get')
        await expectStoreError(engine.delete('some-id'), 'delete')
      }
    } finally {
      failFast.disconnect()
      queueing.disconnect()
    }
  })

  it('foreign data under a session key is a StoreError and is left alone', async () => {
    const p = prefix()
    const ids = ['taken', 'other']
    const engine = new SessionEngine({ store: new RedisStore({ client: redis.client, prefix: p }), generateId: () => ids.shift()! })
    await redis.client.set(`${p}taken`, 'not a hash')
    await expectStoreError(engine.create({ public: { n: 1 } }), 'put')
    expect(await redis.client.get(`${p}taken`)).toBe('not a hash')
    await expectStoreError(engine.get('taken'), 'get')

    await redis.client.hset(`${p}garbage`, 'v', '1', 'd', '{not json')
    await expectStoreError(engine.get('garbage'), 'get')
    const other = (await engine.create({ public: { n: 1 } })).session
    expect(other.id).toBe('other')
    await redis.client.hset(`${p}garbage`, 'd', JSON.stringify(other))
    await expectStoreError(engine.get('garbage'), 'get')
  })

  it('the put script checks its arguments before writing anything', async () => {
    const p = prefix()
    const engine = new SessionEngine({ store: new RedisStore({ client: redis.client, prefix: p }) })
    const { session } = await engine.create({ public: { n: 1 } })
    const key = `${p}${session.id}`
    const before = await redis.client.hgetall(key)
    const expiry = await redis.client.call('PEXPIRETIME', key)
    await expect(redis.client.eval(PUT_SCRIPT, 1, key, '1', '2', '{"broken":true}', '12.5')).rejects.toThrow(/malformed/)
    await expect(redis.client.eval(PUT_SCRIPT, 1, key, '1', 'x', '{"broken":true}', '99')).rejects.toThrow(/malformed/)
    // a time PEXPIREAT refuses must be refused before HSET, or the key would keep the new data without its expiry
    await expect(redis.client.eval(PUT_SCRIPT, 1, key, '1', '2', '{"broken":true}', '10000000000000000000')).rejects.toThrow(/malformed/)
    await expect(redis.client.eval(PUT_SCRIPT, 1, key, '1', '99999999999999999999', '{"broken":true}', '99')).rejects.toThrow(/malformed/)
    expect(await redis.client.hgetall(key)).toEqual(before)
    expect(await redis.client.call('PEXPIRETIME', key)).toBe(expiry)
  })

  it('with a manual clock far from wall time, Redis drops the session at once (documented: use wall-clock time)', async () => {
    const p = prefix()
    const engine = new SessionEngine({ store: new RedisStore({ client: redis.client, prefix: p }), clock: new ManualClock(0) })
    const { session } = await engine.create({ public: { n: 1 } })
    expect(await redis.client.exists(`${p}${session.id}`)).toBe(0)
  })
})

describe('RedisStore.rotate', () => {
  it('moves the hash to the new key in one script, with its expiry; the old key is deleted', async () => {
    const p = prefix()
    const store = new RedisStore({ client: redis.client, prefix: p })
    const engine = new SessionEngine({ store, ttlMs: 60_000 })
    const { session } = await engine.create({ public: { country: 'US' } })
    const rotated = await engine.rotateId(session.id)
    expect(await redis.client.exists(`${p}${session.id}`)).toBe(0)
    expect(await redis.client.hget(`${p}${rotated.id}`, 'v')).toBe('2')
    expect(await redis.client.pttl(`${p}${rotated.id}`)).toBeGreaterThan(50_000)
  })

  it('on Redis Cluster keys of different slots (CROSSSLOT) it answers undefined and the engine falls back to compare-and-set', async () => {
    const p = prefix()
    const sent: string[] = []
    const send: RedisSend = async (args) => {
      sent.push(args[0]!)
      if ((args[0] === 'EVALSHA' || args[0] === 'EVAL') && args[2] === '2') throw new Error("CROSSSLOT Keys in request don't hash to the same slot")
      return redis.client.call(args[0]!, ...args.slice(1))
    }
    const store = new RedisStore({ client: send, prefix: p })
    const engine = new SessionEngine({ store })
    const { session } = await engine.create({ public: { a: 1 } })
    expect(await store.rotate(session, session.id, 1)).toBeUndefined()
    const rotated = await engine.rotateId(session.id)
    expect(await engine.get(session.id)).toBeUndefined()
    expect((await engine.get(rotated.id))?.namespaces).toEqual({ public: { a: 1 } })
    expect(sent.filter((c) => c === 'DEL').length).toBeGreaterThan(0)
  })
})
