/**
 * A faulty store: every store failure surfaces as `StoreError` (with the operation and the
 * original cause) and leaves the stored session as it was; stale versions are retried a bounded
 * number of times; a store answering garbage is a store failure. Then a soak run of the realistic
 * app graph over a store failing at random.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConflictError, ManualClock, MemoryStore, type Session, SessionEngine, SessionNotFoundError, SessionflowError, StoreError, recipe, jsonPatch } from '../../src/index'
import { commerceApps } from '../support/commerce'
import { fcParams } from '../support/fc'
import { isDeepFrozen } from '../support/helpers'
import { type Fault, FaultStore, InjectedFault, counterIds, expectPrototypesUntouched, expectRejects, seededRandom } from '../support/faults'

async function setup(maxConflictRetries = 3) {
  const store = new FaultStore()
  const clock = new ManualClock(0)
  const engine = new SessionEngine({ apps: commerceApps, store, clock, maxConflictRetries, generateId: counterIds() })
  const { session } = await engine.create({ public: { country: 'DE' } })
  return { engine, store, clock, session }
}

describe('store failures', () => {
  const calls = (engine: SessionEngine, id: string) => ({
    get: () => engine.get(id),
    patch: () => engine.patch(id, { public: { postalCode: '10115' } }),
    recipe: () => engine.patch(id, recipe((d) => void (d.public!.postalCode = '10115'))),
    jsonPatch: () => engine.patch(id, jsonPatch([{ op: 'add', path: '/public/postalCode', value: '10115' }])),
    touch: () => engine.touch(id),
    delete: () => engine.delete(id),
    create: () => engine.create({ public: { country: 'US' } }),
  })

  const cases: Array<{ op: 'get' | 'put' | 'delete'; fault: Fault; methods: Array<keyof ReturnType<typeof calls>> }> = [
    { op: 'get', fault: 'throw', methods: ['get', 'patch', 'recipe', 'jsonPatch', 'touch'] },
    { op: 'get', fault: 'reject', methods: ['get', 'patch', 'recipe', 'jsonPatch', 'touch'] },
    { op: 'put', fault: 'throw', methods: ['patch', 'recipe', 'jsonPatch', 'touch', 'create'] },
    { op: 'put', fault: 'reject', methods: ['patch', 'recipe', 'jsonPatch', 'touch', 'create'] },
    { op: 'put', fault: 'garbage', methods: ['patch', 'recipe', 'jsonPatch', 'touch', 'create'] },
    { op: 'delete', fault: 'throw', methods: ['delete'] },
    { op: 'delete', fault: 'reject', methods: ['delete'] },
  ]
  for (const { op, fault, methods } of cases) {
    it(`${op} ${fault}s: StoreError(${op}) from ${methods.join(', ')}; the stored session is untouched`, async () => {
      const { engine, store, session } = await setup()
      for (const method of methods) {
        store.plan = { [op]: [fault] }
        const error = await expectRejects(calls(engine, session.id)[method](), StoreError)
        expect(error.code).toBe('STORE')
        expect(error.operation).toBe(op)
        if (fault !== 'garbage') expect(error.cause).toBeInstanceOf(InjectedFault)
        expect(store.inner.get(session.id)).toBe(session)
        expect(store.inner.size).toBe(1)
        store.plan = {}
      }
      // and the engine is fine afterwards: the next call works
      const { session: next } = await engine.patch(session.id, { public: { postalCode: '20095' } })
      expect(next.version).toBe(2)
      expect(next.namespaces.checkout).toEqual({ regionId: 'de-2' })
      expectPrototypesUntouched()
    })
  }

  it('a store answering garbage to get (not a session, another id, a broken version or times) is a StoreError; nothing is written', async () => {
    const valid = { id: 's1', version: 3, createdAt: 0, updatedAt: 0, expiresAt: 1e12, namespaces: { public: { a: 1 } } }
    const garbage: unknown[] = [
      'session',
      5,
      true,
      [],
      {},
      { ...valid, id: 'someone-else' },
      { ...valid, id: undefined },
      { ...valid, version: '3' },
      { ...valid, version: 0 },
      { ...valid, version: 1.5 },
      { ...valid, version: undefined },
      { ...valid, expiresAt: 'never' },
      { ...valid, expiresAt: Number.NaN },
      { ...valid, createdAt: undefined },
      { ...valid, updatedAt: null },
      { ...valid, namespaces: null },
      { ...valid, namespaces: 'public' },
      { ...valid, namespaces: [] },
      { ...valid, namespaces: { public: 5 } },
      { ...valid, namespaces: { public: null } },
    ]
    for (const answer of garbage) {
      const inner = new MemoryStore()
      const writes: Session[] = []
      const store = {
        get: () => structuredClone(answer) as Session,
        put: (session: Session, expected: number | undefined) => {
          writes.push(session)
          return inner.put(session, expected)
        },
        delete: () => {},
      }
      const engine = new SessionEngine({ store, clock: new ManualClock(0) })
      for (const call of [() => engine.get('s1'), () => engine.patch('s1', { public: { a: 2 } }), () => engine.touch('s1'), () => engine.patch('s1', jsonPatch([]))]) {
        const error = await expectRejects(call(), StoreError).catch((e: Error) => {
          throw new Error(`${JSON.stringify(answer)}: ${e.message}`)
        })
        expect(error.operation).toBe('get')
      }
      expect(writes).toEqual([])
    }
  })

  it('corrupt data a store hands back (deep values, getters, functions, exotic objects) is a StoreError, never a raw RangeError/TypeError', async () => {
    const envelope = { id: 's1', version: 3, createdAt: 0, updatedAt: 0, expiresAt: 1e12 }
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    let deepObject: unknown = 1
    for (let i = 0; i < 100_000; i++) deepObject = { a: deepObject }
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const throwing = () => {
      throw new Error('boom')
    }
    const revocable = Proxy.revocable({}, {})
    revocable.revoke()
    const answers: Array<[string, () => unknown]> = [
      ['a 100,000-deep array', () => ({ ...envelope, namespaces: { public: { deep } } })],
      ['a 100,000-deep object', () => ({ ...envelope, namespaces: { public: { deepObject } } })],
      ['a cyclic value', () => ({ ...envelope, namespaces: { public: { cyclic } } })],
      ['a throwing getter on namespaces', () => Object.defineProperty({ ...envelope }, 'namespaces', { get: throwing, enumerable: true })],
      ['a throwing getter on a namespace', () => ({ ...envelope, namespaces: Object.defineProperty({}, 'public', { get: throwing, enumerable: true }) })],
      ['a throwing getter on a param', () => ({ ...envelope, namespaces: { public: Object.defineProperty({}, 'a', { get: throwing, enumerable: true }) } })],
      ['a getter on the version', () => Object.defineProperty({ ...envelope, namespaces: {} }, 'version', { get: () => 3, enumerable: true })],
      ['a function-valued param', () => ({ ...envelope, namespaces: { public: { a: () => 1 } } })],
      ['a symbol-valued param', () => ({ ...envelope, namespaces: { public: { a: Symbol('x') } } })],
      ['a bigint param', () => ({ ...envelope, namespaces: { public: { a: 10n } } })],
      ['NaN', () => ({ ...envelope, namespaces: { public: { a: Number.NaN } } })],
      ['a Date', () => ({ ...envelope, namespaces: { public: { a: new Date(0) } } })],
      ['a sparse array', () => ({ ...envelope, namespaces: { public: { a: [1, , 3] } } })],
      ['a revoked proxy as the session', () => revocable.proxy],
      ['a revoked proxy as a param', () => ({ ...envelope, namespaces: { public: { a: revocable.proxy } } })],
      ['a proxy whose traps throw', () => new Proxy({ ...envelope, namespaces: {} }, { getOwnPropertyDescriptor: throwing, ownKeys: throwing })],
      ['a proxy whose getPrototypeOf throws', () => new Proxy({}, { getPrototypeOf: throwing })],
    ]
    for (const [what, answer] of answers) {
      const writes: Session[] = []
      const store = {
        get: () => answer() as Session,
        put: (session: Session) => (writes.push(session), true),
        delete: () => {},
      }
      const engine = new SessionEngine({ store, clock: new ManualClock(0) })
      for (const call of [() => engine.get('s1'), () => engine.patch('s1', { public: { b: 2 } }), () => engine.touch('s1'), () => engine.patch('s1', jsonPatch([]))]) {
        const error = await expectRejects(call(), StoreError).catch((e: Error) => {
          throw new Error(`${what}: ${e.message}`)
        })
        expect(error.operation, what).toBe('get')
      }
      expect(writes, what).toEqual([])
    }
  })

  it('a session frozen only part way down (a store that freezes the top) is frozen all the way by the engine', async () => {
    const value = { nested: { list: [1, { x: 2 }] } }
    const answer = { id: 's1', version: 3, createdAt: 0, updatedAt: 0, expiresAt: 1e12, namespaces: Object.freeze({ public: Object.freeze({ value }) }) }
    Object.freeze(answer)
    const engine = new SessionEngine({ store: { get: () => answer, put: () => true, delete: () => {} }, clock: new ManualClock(0) })
    const session = (await engine.get('s1'))!
    expect(session.namespaces).toEqual({ public: { value: { nested: { list: [1, { x: 2 }] } } } })
    expect(isDeepFrozen(session)).toBe(true)
    expect(() => {
      ;(value.nested.list[1] as { x: number }).x = 3
    }).toThrow(TypeError)
  })

  it('a slow store changes nothing but timing', async () => {
    const { engine, store, session } = await setup()
    store.plan = { get: ['slow', 'slow'], put: ['slow'] }
    const { session: next } = await engine.patch(session.id, { public: { postalCode: '10115' } })
    expect(next.version).toBe(2)
    expect(await engine.get(session.id)).toEqual(next)
  })

  it('stale versions are retried (re-read, re-run) up to maxConflictRetries, then ConflictError; nothing written', async () => {
    for (const retries of [0, 1, 3]) {
      for (const stale of ['stale', 'conflict'] as const) {
        const { engine, store, session } = await setup(retries)
        // exactly `retries` stale answers: the last attempt succeeds
        store.plan = { put: Array.from({ length: retries }, () => stale) }
        const { session: next, report } = await engine.patch(session.id, { public: { postalCode: '10115' } })
        expect(report.attempts).toBe(retries + 1)
        expect(next.version).toBe(2)
        // one more: ConflictError, and the stored session is the one before
        store.plan = { put: Array.from({ length: retries + 1 }, () => stale) }
        const puts = store.calls.filter((c) => c.op === 'put').length
        const error = await expectRejects(engine.patch(session.id, { public: { postalCode: '20095' } }), ConflictError)
        expect(error.code).toBe('CONFLICT')
        expect(store.calls.filter((c) => c.op === 'put').length - puts).toBe(retries + 1)
        expect(store.inner.get(session.id)).toBe(next)
        store.plan = { put: Array.from({ length: retries + 1 }, () => stale) }
        await expectRejects(engine.touch(session.id), ConflictError)
        expect(store.inner.get(session.id)).toBe(next)
      }
    }
  })

  it('create whose put finds the id taken (an id collision) is a ConflictError, nothing overwritten', async () => {
    const { engine, store, session } = await setup()
    const clash = new SessionEngine({ store, generateId: () => session.id, clock: new ManualClock(0) })
    await expectRejects(clash.create({ public: { country: 'US' } }), ConflictError)
    expect(store.inner.get(session.id)).toBe(session)
  })

  it('a session deleted by another process between read and write is not resurrected', async () => {
    const { engine, store, session } = await setup()
    const original = store.inner.put.bind(store.inner)
    let first = true
    store.inner.put = (s, expected) => {
      if (first) {
        first = false
        store.inner.delete(s.id) // "another process" deletes it just before our write
      }
      return original(s, expected)
    }
    await expectRejects(engine.patch(session.id, { public: { postalCode: '10115' } }), SessionNotFoundError)
    expect(store.inner.get(session.id)).toBeUndefined()
  })
})

describe('soak: the realistic graph over a store failing at random', () => {
  it('property: every call succeeds or fails typed; each session’s saved versions are 1, 2, 3, … and the store holds the last success', async () => {
    type Step = { kind: 'create' | 'patch' | 'json' | 'touch' | 'get' | 'delete' | 'login'; target: number; value: number }
    const stepArb: fc.Arbitrary<Step> = fc.record({
      kind: fc.constantFrom('create', 'patch', 'patch', 'json', 'touch', 'get', 'login', 'delete'),
      target: fc.nat({ max: 5 }),
      value: fc.nat({ max: 9 }),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 5, maxLength: 40 }), fc.integer(), fc.double({ min: 0, max: 0.5, noNaN: true }), async (steps, seed, rate) => {
        const store = new FaultStore()
        const all: Fault[] = ['throw', 'reject', 'slow', 'stale', 'conflict', 'garbage']
        store.random = { next: seededRandom(seed), rate, faults: { get: ['throw', 'reject', 'slow'], put: all, delete: ['throw', 'reject', 'slow'] } }
        const clock = new ManualClock(0)
        const engine = new SessionEngine({ apps: commerceApps, store, clock, maxConflictRetries: 2, generateId: counterIds() })
        const ids: string[] = []
        const last = new Map<string, Session | 'deleted'>()
        for (const step of steps) {
          const id = ids.length === 0 ? 'nobody' : ids[step.target % ids.length]!
          try {
            switch (step.kind) {
              case 'create': {
                const { session } = await engine.create({ public: { country: ['DE', 'US', 'FR'][step.value % 3]! } })
                ids.push(session.id)
                last.set(session.id, session)
                break
              }
              case 'patch':
                last.set(id, (await engine.patch(id, { public: { postalCode: String(step.value) } })).session)
                break
              case 'json':
                last.set(id, (await engine.patch(id, jsonPatch([{ op: 'add', path: '/public/utm_campaign', value: `c${step.value}` }]))).session)
                break
              case 'login':
                last.set(id, (await engine.patch(id, { cookie: { authToken: `user:${step.value}:u${step.value}@example.com` } }, { allow: ['cookie'] })).session)
                break
              case 'touch':
                last.set(id, await engine.touch(id))
                break
              case 'get': {
                const got = await engine.get(id)
                const expected = last.get(id)
                if (expected !== undefined && expected !== 'deleted') expect(got).toEqual(expected)
                break
              }
              case 'delete':
                await engine.delete(id)
                last.set(id, 'deleted')
                break
            }
          } catch (error) {
            // only the typed failures a faulty store can cause, and "not found" after a delete
            expect(error).toBeInstanceOf(SessionflowError)
            expect(['STORE', 'CONFLICT', 'SESSION_NOT_FOUND']).toContain((error as SessionflowError).code)
          }
          clock.advance(1_000)
        }
        for (const [id, expected] of last) {
          const stored = store.inner.get(id)
          if (expected === 'deleted') expect(stored).toBeUndefined()
          else expect(stored).toEqual(expected)
          // saved versions: 1 (create), then +1 per saved change; a touch rewrites the same version
          const versions = store.calls.filter((c) => c.op === 'put' && c.id === id && c.written).map((c) => c.version!)
          for (let i = 1; i < versions.length; i++) expect([versions[i - 1], versions[i - 1]! + 1]).toContain(versions[i])
          if (versions.length > 0) expect(versions[0]).toBe(1)
        }
        expectPrototypesUntouched()
      }),
      fcParams(60),
    )
  })
})
