import jsonpatch from 'fast-json-patch'
import { describe, expect, it } from 'vitest'
import { ConflictError, ForbiddenWriteError, InvalidValueError, ManualClock, SessionEngine, SessionNotFoundError, defineApp, recipe, jsonPatch } from '../../src/index'
import type { Namespaces, TransformContext } from '../../src/index'
import { SpyStore, isDeepFrozen, plain, rejection, snapshot } from '../support/helpers'

const mirror = defineApp({
  name: 'mirror',
  input: { public: ['country'] },
  output: { store: ['country'] },
  transform: (i) => ({ store: { country: i.public.country } }),
})

async function withSession(options: ConstructorParameters<typeof SessionEngine>[0] = {}) {
  const store = new SpyStore()
  const engine = new SessionEngine({ apps: [mirror], store, ...options })
  const { session } = await engine.create({ public: { country: 'DE' }, cookie: { token: 't' }, account: { id: 'a1' } })
  return { engine, store, session }
}

describe('client writes are limited to the writable namespaces', () => {
  it('patch: rejects any write outside them with ForbiddenWriteError, whole, nothing saved', async () => {
    const { engine, store, session } = await withSession()
    const puts = store.calls.length
    const error = await rejection(
      engine.patch(session.id, { public: { country: 'FR' }, store: { country: 'XX' }, cookie: { token: undefined } }),
      ForbiddenWriteError,
      'FORBIDDEN_WRITE',
    )
    expect([...error.params].sort()).toEqual(['cookie.token', 'store.country'])
    expect(error.message).toMatch(/"public"/)
    expect(store.calls.length).toBe(puts) // refused before the store is even read
    expect(await engine.get(session.id)).toBe(session)
  })

  it('recipe: rejects adding a non-writable namespace; the draft only holds writable ones', async () => {
    const { engine, session } = await withSession()
    let keys: string[] = []
    await rejection(
      engine.patch(session.id, recipe((draft) => {
        keys = Object.keys(draft)
        draft.cookie = { token: 'forged' }
      })),
      ForbiddenWriteError,
      'FORBIDDEN_WRITE',
    )
    expect(keys).toEqual(['public'])
    expect(await engine.get(session.id)).toBe(session)
  })

  it('recipe: edits nested values of writable namespaces and runs the cycle', async () => {
    const { engine, session } = await withSession()
    const r = await engine.patch(session.id, recipe((draft) => {
      draft.public!.country = 'FR'
      draft.public!.cart = { items: [{ sku: 'a', qty: 1 }] }
    }))
    expect(r.session.namespaces.public).toEqual({ country: 'FR', cart: { items: [{ sku: 'a', qty: 1 }] } })
    expect(r.session.namespaces.store).toEqual({ country: 'FR' })
    const r2 = await engine.patch(session.id, recipe((draft) => {
      ;(draft.public!.cart as { items: Array<{ qty: number }> }).items[0]!.qty = 3
      delete draft.public!.country
    }))
    expect(r2.session.namespaces.public).toEqual({ cart: { items: [{ sku: 'a', qty: 3 }] } })
    expect(r2.session.namespaces.store).toBeUndefined()
    expect(r2.session.version).toBe(3)
  })

  it('recipe: a recipe that changes nothing saves nothing', async () => {
    const { engine, session } = await withSession()
    const r = await engine.patch(session.id, recipe(() => undefined))
    expect(r.session).toBe(session)
  })

  it('recipe: may return a replacement object; an async recipe is refused', async () => {
    const { engine, session } = await withSession()
    const r = await engine.patch(session.id, recipe(() => ({ public: { country: 'CH' } })))
    expect(r.session.namespaces.public).toEqual({ country: 'CH' })
    await rejection(
      engine.patch(session.id, recipe(async (d) => {
        d.public!.country = 'US'
      })),
      InvalidValueError,
      'INVALID_VALUE',
    )
    await rejection(engine.patch(session.id, recipe(() => ({ public: { v: Number.NaN } }))), InvalidValueError, 'INVALID_VALUE')
    await rejection(
      engine.patch(session.id, recipe((d) => {
        d.public!.country = 'US'
        return { public: { country: 'FR' } }
      })),
      InvalidValueError,
      'INVALID_VALUE',
    )
    // the recipe's own error is the caller's: it passes through unchanged
    const own = new Error('recipe bug')
    await expect(
      engine.patch(session.id, recipe(() => {
        throw own
      })),
    ).rejects.toBe(own)
    expect((await engine.get(session.id))!.namespaces.public).toEqual({ country: 'CH' })
  })

  it('applyJsonPatch: applies ops to writable namespaces and runs the cycle', async () => {
    const { engine, session } = await withSession()
    const r = await engine.patch(session.id, jsonPatch([
      { op: 'test', path: '/public/country', value: 'DE' },
      { op: 'replace', path: '/public/country', value: 'NL' },
      { op: 'add', path: '/public/tags', value: ['x'] },
      { op: 'add', path: '/public/tags/-', value: 'y' },
      { op: 'copy', from: '/public/country', path: '/public/copy' },
    ]))
    expect(r.session.namespaces.public).toEqual({ country: 'NL', tags: ['x', 'y'], copy: 'NL' })
    expect(r.session.namespaces.store).toEqual({ country: 'NL' })
  })

  it('applyJsonPatch: a failed test refuses the whole patch', async () => {
    const { engine, session } = await withSession()
    await rejection(
      engine.patch(session.id, jsonPatch([
        { op: 'replace', path: '/public/country', value: 'NL' },
        { op: 'test', path: '/public/country', value: 'DE' },
      ])),
      InvalidValueError,
      'INVALID_VALUE',
    )
    expect(await engine.get(session.id)).toBe(session)
  })

  const forbiddenPatches: Array<[string, unknown[]]> = [
    ['add', [{ op: 'add', path: '/cookie/token', value: 'x' }]],
    ['replace', [{ op: 'replace', path: '/account/id', value: 'x' }]],
    ['remove', [{ op: 'remove', path: '/cookie/token' }]],
    ['remove of a whole namespace', [{ op: 'remove', path: '/cookie' }]],
    ['test (probing a host param)', [{ op: 'test', path: '/cookie/token', value: 't' }]],
    ['copy from a host param', [{ op: 'copy', from: '/cookie/token', path: '/public/stolen' }]],
    ['move from a host param', [{ op: 'move', from: '/account/id', path: '/public/id' }]],
    ['move into a host param', [{ op: 'move', from: '/public/country', path: '/account/country' }]],
    ['a writable op followed by a forbidden one', [{ op: 'add', path: '/public/a', value: 1 }, { op: 'add', path: '/store/x', value: 1 }]],
  ]
  for (const [what, ops] of forbiddenPatches) {
    it(`applyJsonPatch: refuses ${what} with ForbiddenWriteError`, async () => {
      const { engine, session } = await withSession()
      await rejection(engine.patch(session.id, jsonPatch(ops)), ForbiddenWriteError, 'FORBIDDEN_WRITE')
      expect(await engine.get(session.id)).toBe(session)
    })
  }

  it('applyJsonPatch: refuses writing the whole document and reserved names', async () => {
    const { engine, session } = await withSession()
    await rejection(engine.patch(session.id, jsonPatch([{ op: 'replace', path: '', value: {} }])), InvalidValueError, 'INVALID_VALUE')
    await rejection(engine.patch(session.id, jsonPatch([{ op: 'add', path: '/public/__proto__', value: {} }])), InvalidValueError, 'INVALID_VALUE')
    await rejection(engine.patch(session.id, jsonPatch([{ op: 'add', path: '/public/a', value: { constructor: 1 } }])), InvalidValueError, 'INVALID_VALUE')
    await rejection(engine.patch(session.id, jsonPatch({ op: 'add' } as never)), InvalidValueError, 'INVALID_VALUE')
    expect(await engine.get(session.id)).toBe(session)
  })

  it('writableNamespaces is configurable', async () => {
    const { engine, session } = await withSession({ writableNamespaces: ['public', 'account'] })
    const r = await engine.patch(session.id, { account: { id: 'a2' } })
    expect(r.session.namespaces.account).toEqual({ id: 'a2' })
    await rejection(engine.patch(session.id, { cookie: { token: 'x' } }), ForbiddenWriteError, 'FORBIDDEN_WRITE')
    expect(engine.writableNamespaces).toEqual(['public', 'account'])
  })

  it('the host allow option opens host-owned namespaces for that call only', async () => {
    const { engine, session } = await withSession()
    const r = await engine.patch(session.id, { cookie: { token: 'new' } }, { allow: ['cookie'] })
    expect(r.session.namespaces.cookie).toEqual({ token: 'new' })
    const r2 = await engine.patch(session.id, jsonPatch([{ op: 'remove', path: '/cookie/token' }]), { allow: ['cookie'] })
    expect(r2.session.namespaces.cookie).toBeUndefined()
    const r3 = await engine.patch(session.id, recipe((d) => void (d.cookie!.token = 'again')), { allow: ['cookie'] })
    expect(r3.session.namespaces.cookie).toEqual({ token: 'again' })
    // allow is per call: the next call without it is refused; another namespace stays closed
    await rejection(engine.patch(session.id, { cookie: { token: 'x' } }), ForbiddenWriteError, 'FORBIDDEN_WRITE')
    await rejection(engine.patch(session.id, { account: { id: 'x' } }, { allow: ['cookie'] }), ForbiddenWriteError, 'FORBIDDEN_WRITE')
    await rejection(engine.patch(session.id, { cookie: { token: 'x' } }, { allow: 'cookie' as never }), InvalidValueError, 'INVALID_VALUE')
    await rejection(engine.patch(session.id, { cookie: { token: 'x' } }, { allow: ['__proto__'] }), InvalidValueError, 'INVALID_VALUE')
  })

  it('an allow list is read at each call: one array reused and changed in between opens what it holds then', async () => {
    const { engine, session } = await withSession()
    const allow = ['cookie']
    await engine.patch(session.id, { cookie: { token: 'a' } }, { allow })
    allow[0] = 'account'
    await rejection(engine.patch(session.id, { cookie: { token: 'b' } }, { allow }), ForbiddenWriteError, 'FORBIDDEN_WRITE')
    expect((await engine.patch(session.id, { account: { id: 'b' } }, { allow })).session.namespaces.account).toEqual({ id: 'b' })
    allow.push('__proto__')
    await rejection(engine.patch(session.id, { account: { id: 'c' } }, { allow }), InvalidValueError, 'INVALID_VALUE')
    allow.pop()
    // the same names in a new array, and again after a refused list, still open the same namespaces
    expect((await engine.patch(session.id, { account: { id: 'd' } }, { allow: ['account'] })).session.namespaces.account).toEqual({ id: 'd' })
    await rejection(engine.patch(session.id, { cookie: { token: 'e' } }, { allow: ['account'] }), ForbiddenWriteError, 'FORBIDDEN_WRITE')
    expect((await engine.patch(session.id, { cookie: { token: 'f' } }, { allow: ['cookie', 'account'] })).session.namespaces.cookie).toEqual({ token: 'f' })
  })

  it('create(initial) and the pure API accept any namespace', async () => {
    const engine = new SessionEngine()
    const { session } = await engine.create({ cookie: { a: 1 }, account: { b: 2 } })
    expect(session.namespaces).toEqual({ cookie: { a: 1 }, account: { b: 2 } })
    const { namespaces } = await engine.runTransform(session.namespaces, { account: { b: 3 } })
    expect(namespaces.account).toEqual({ b: 3 })
  })
})

describe('invalid values', () => {
  const bad: Array<[string, unknown]> = [
    ['NaN', Number.NaN],
    ['Infinity', Number.NEGATIVE_INFINITY],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a BigInt', 10n],
    ['a Date', new Date()],
    ['a Map', new Map()],
    ['undefined inside an array', [undefined]],
    ['a reserved key inside a value', JSON.parse('{"a":{"__proto__":{}}}')],
  ]
  for (const [what, value] of bad) {
    it(`refuses ${what} with InvalidValueError before anything is saved`, async () => {
      const { engine, store, session } = await withSession()
      const calls = store.calls.length
      await rejection(engine.patch(session.id, { public: { v: value as never } }), InvalidValueError, 'INVALID_VALUE')
      await rejection(engine.create({ public: { v: value as never } }), InvalidValueError, 'INVALID_VALUE')
      expect(store.calls.length).toBe(calls)
    })
  }

  it('refuses malformed names and ids', async () => {
    const { engine, session } = await withSession()
    await rejection(engine.patch(session.id, { 'pub.lic': { a: 1 } }), InvalidValueError, 'INVALID_VALUE')
    await rejection(engine.patch(session.id, { public: { 'a.b': 1 } }), InvalidValueError, 'INVALID_VALUE')
    await rejection(engine.patch(session.id, JSON.parse('{"public":{"__proto__":1}}')), InvalidValueError, 'INVALID_VALUE')
    await rejection(engine.patch(session.id, { public: 'x' } as never), InvalidValueError, 'INVALID_VALUE')
    await rejection(engine.get('not a valid id!'), InvalidValueError, 'INVALID_VALUE')
    await rejection(engine.patch('', { public: { a: 1 } }), InvalidValueError, 'INVALID_VALUE')
  })
})

describe('get', () => {
  it('returns the whole session, or only the params named by items', async () => {
    const engine = new SessionEngine()
    const { session } = await engine.create({
      public: { utm_source: 's', utm_campaign: 'c', country: 'DE' },
      store: { channel: 'web', currencyCode: 'EUR' },
      account: { id: 1 },
    })
    expect(await engine.get(session.id)).toBe(session)
    const only = async (items: string[]) => (await engine.get(session.id, { items }))!.namespaces
    expect(await only(['store.channel'])).toEqual({ store: { channel: 'web' } })
    expect(await only(['account.*'])).toEqual({ account: { id: 1 } })
    expect(await only(['*'])).toEqual(session.namespaces)
    expect(await only(['public.utm_*'])).toEqual({ public: { utm_source: 's', utm_campaign: 'c' } })
    expect(await only(['store.channel', 'account.*', 'public.country'])).toEqual({
      store: { channel: 'web' },
      account: { id: 1 },
      public: { country: 'DE' },
    })
    expect(await only(['store.nothing', 'nothing.*'])).toEqual({})
    expect(await only([])).toEqual({})
    const filtered = (await engine.get(session.id, { items: ['store.channel'] }))!
    expect(filtered).toMatchObject({ id: session.id, version: 1, expiresAt: session.expiresAt })
    expect(isDeepFrozen(filtered)).toBe(true)
  })

  it('refuses malformed items', async () => {
    const engine = new SessionEngine()
    const { session } = await engine.create()
    for (const items of [['store'], ['.x'], ['a.b.c*x'], [''], [1], 'store.*']) {
      await rejection(engine.get(session.id, { items: items as never }), InvalidValueError, 'INVALID_VALUE')
    }
  })

  it('returns undefined for unknown ids; patch, applyJsonPatch and touch reject with SessionNotFoundError', async () => {
    const engine = new SessionEngine()
    expect(await engine.get('unknown')).toBeUndefined()
    const e = await rejection(engine.patch('unknown', { public: { a: 1 } }), SessionNotFoundError, 'SESSION_NOT_FOUND')
    expect(e.sessionId).toBe('unknown')
    await rejection(engine.patch('unknown', jsonPatch([])), SessionNotFoundError, 'SESSION_NOT_FOUND')
    await rejection(engine.touch('unknown'), SessionNotFoundError, 'SESSION_NOT_FOUND')
  })

  it('delete is queued with the other calls on the session', async () => {
    const engine = new SessionEngine()
    const { session } = await engine.create()
    const first = engine.patch(session.id, { public: { a: 1 } })
    const removed = engine.delete(session.id)
    const after = engine.patch(session.id, { public: { a: 2 } })
    expect((await first).session.version).toBe(2)
    await removed
    await rejection(after, SessionNotFoundError, 'SESSION_NOT_FOUND')
    expect(await engine.get(session.id)).toBeUndefined()
  })

  it('delete removes the session; deleting twice is fine', async () => {
    const engine = new SessionEngine()
    const { session } = await engine.create({ public: { a: 1 } })
    await engine.delete(session.id)
    expect(await engine.get(session.id)).toBeUndefined()
    await engine.delete(session.id)
    await rejection(engine.patch(session.id, { public: { a: 2 } }), SessionNotFoundError, 'SESSION_NOT_FOUND')
  })
})

describe('expiry', () => {
  it('an expired session reads as absent; patch and touch on it reject with SessionNotFoundError', async () => {
    const clock = new ManualClock(1_000)
    const engine = new SessionEngine({ clock, ttlMs: 100 })
    const { session } = await engine.create({ public: { a: 1 } })
    expect(session.expiresAt).toBe(1_100)
    clock.set(1_099)
    expect(await engine.get(session.id)).toBe(session)
    clock.set(1_100)
    expect(await engine.get(session.id)).toBeUndefined()
    await rejection(engine.patch(session.id, { public: { a: 2 } }), SessionNotFoundError, 'SESSION_NOT_FOUND')
    await rejection(engine.patch(session.id, jsonPatch([])), SessionNotFoundError, 'SESSION_NOT_FOUND')
    await rejection(engine.touch(session.id), SessionNotFoundError, 'SESSION_NOT_FOUND')
  })

  it('expired sessions read as absent even from a store that still returns them', async () => {
    const clock = new ManualClock(0)
    const store = new SpyStore() // its MemoryStore has no clock: it never drops anything
    const engine = new SessionEngine({ clock, ttlMs: 10, store })
    const { session } = await engine.create()
    clock.advance(10)
    expect(store.inner.get(session.id)).toBe(session)
    expect(await engine.get(session.id)).toBeUndefined()
  })

  it('every saved change renews expiresAt (sliding expiry); touch renews it without a cycle', async () => {
    const clock = new ManualClock(0)
    let runs = 0
    const app = defineApp({ name: 'count', input: { public: ['a'] }, transform: () => void runs++ })
    const engine = new SessionEngine({ clock, ttlMs: 100, apps: [app] })
    const { session } = await engine.create({ public: { a: 0 } })
    clock.advance(80)
    const r = await engine.patch(session.id, { public: { a: 1 } })
    expect(r.session).toMatchObject({ version: 2, createdAt: 0, updatedAt: 80, expiresAt: 180 })
    clock.advance(80) // t = 160: alive only thanks to the renewal
    const touched = await engine.touch(session.id)
    expect(touched).toMatchObject({ version: 2, createdAt: 0, updatedAt: 160, expiresAt: 260 })
    expect(touched.namespaces).toBe(r.session.namespaces)
    expect(isDeepFrozen(touched)).toBe(true)
    expect(runs).toBe(2)
    clock.advance(99) // t = 259
    expect(await engine.get(session.id)).toEqual(touched)
    clock.advance(1)
    expect(await engine.get(session.id)).toBeUndefined()
  })
})

describe('ids', () => {
  it('are 22-character base64url strings (128 random bits), distinct', async () => {
    const engine = new SessionEngine()
    const ids = new Set<string>()
    for (let i = 0; i < 200; i++) {
      const { session } = await engine.create()
      expect(session.id).toMatch(/^[A-Za-z0-9_-]{22}$/)
      ids.add(session.id)
    }
    expect(ids.size).toBe(200)
  })

  it('a create whose id is already taken rejects with ConflictError and leaves the existing session alone', async () => {
    const engine = new SessionEngine({ generateId: () => 'same-id' })
    const { session } = await engine.create({ public: { a: 1 } })
    await rejection(engine.create({ public: { a: 2 } }), ConflictError, 'CONFLICT')
    expect(await engine.get('same-id')).toBe(session)
  })

  it('a custom generateId is used and checked', async () => {
    let n = 0
    const engine = new SessionEngine({ generateId: () => `s-${++n}` })
    expect((await engine.create()).session.id).toBe('s-1')
    const bad = new SessionEngine({ generateId: () => 'no spaces allowed' })
    await rejection(bad.create(), InvalidValueError, 'INVALID_VALUE')
  })
})

describe('immutability', () => {
  it('sessions are deeply frozen and older sessions never change', async () => {
    const engine = new SessionEngine({ apps: [mirror] })
    const first = await engine.create({ public: { country: 'DE', deep: { list: [{ a: 1 }] } } })
    const before = snapshot(first.session)
    expect(isDeepFrozen(first.session)).toBe(true)
    const second = await engine.patch(first.session.id, { public: { country: 'FR', deep: { list: [{ a: 2 }] } } })
    expect(isDeepFrozen(second.session)).toBe(true)
    expect(first.session).toEqual(before)
    expect(second.session.namespaces.public!.deep).toEqual({ list: [{ a: 2 }] })
  })

  it('a caller mutating its changes object afterwards cannot reach the session', async () => {
    const engine = new SessionEngine()
    const value = { list: [1, 2] }
    const { session } = await engine.create({ public: { v: value } })
    value.list.push(3)
    expect(session.namespaces.public!.v).toEqual({ list: [1, 2] })
  })

  it('inputs are deeply frozen; a transform cannot corrupt the session by mutating them or its output', async () => {
    const inputs: unknown[] = []
    let kept: { d: { v: { n: number[] } } } | undefined
    const engine = new SessionEngine({
      apps: [
        defineApp({
          name: 'mutator',
          input: { public: ['obj'] },
          output: { d: ['v'] },
          transform: (input) => {
            inputs.push(input)
            expect(() => {
              ;(input.public.obj as { a: number[] }).a.push(9)
            }).toThrow(TypeError)
            expect(() => {
              ;(input as Record<string, unknown>).public = {}
            }).toThrow(TypeError)
            kept = { d: { v: { n: [1] } } }
            return kept
          },
        }),
      ],
    })
    const { session } = await engine.create({ public: { obj: { a: [1] } } })
    kept!.d.v.n.push(2) // the engine stored a copy
    expect(session.namespaces).toEqual({ public: { obj: { a: [1] } }, d: { v: { n: [1] } } })
    expect(isDeepFrozen(inputs[0])).toBe(true)
  })

  it('runTransform does not freeze or change the namespaces it is given', async () => {
    const engine = new SessionEngine({ apps: [mirror] })
    const given = { public: { country: 'DE' } }
    const { namespaces } = await engine.runTransform(given, { public: { country: 'FR' } })
    expect(given).toEqual({ public: { country: 'DE' } })
    expect(namespaces).toEqual({ public: { country: 'FR' }, store: { country: 'FR' } })
    expect(isDeepFrozen(namespaces)).toBe(true)
  })
})

describe('the returned JSON Patch', () => {
  it('applied (fast-json-patch) to the previous namespaces gives the new ones', async () => {
    const apps = [
      mirror,
      defineApp({
        name: 'weird',
        input: { public: ['country'] },
        output: { 'a/b~c': ['x/y', '~0'], store: ['gone'] },
        transform: (i) => ({ 'a/b~c': { 'x/y': i.public.country ?? null, '~0': 1 }, store: { gone: undefined } }),
      }),
    ]
    const engine = new SessionEngine({ apps })
    const steps: Array<[Namespaces, Parameters<typeof engine.runTransform>[1]]> = [
      [{}, { public: { country: 'DE' } }],
      [{ store: { gone: 1, keep: 2 } }, { public: { country: 'FR' } }],
      [{ store: { gone: 1 }, public: { country: 'DE', x: 1 } }, { public: { country: undefined, x: undefined } }],
      [{ public: { country: 'DE' } }, { public: { country: 'DE' } }],
    ]
    for (const [base, changes] of steps) {
      const { namespaces, patch } = await engine.runTransform(base, changes)
      const applied = jsonpatch.applyPatch(plain(base), jsonpatch.deepClone(patch), true).newDocument
      expect(applied).toEqual(plain(namespaces))
    }
  })
})

describe('pure API', () => {
  it('runCreate and runTransform never touch the store and run with ctx.sessionId undefined', async () => {
    const store = new SpyStore()
    const contexts: TransformContext[] = []
    const app = defineApp({
      name: 'ctx',
      runOnCreate: true,
      input: { public: ['a'] },
      output: { d: ['a'] },
      transform: (i, ctx) => {
        contexts.push(ctx)
        return { d: { a: i.public.a ?? 0 } }
      },
    })
    const engine = new SessionEngine({ apps: [app], store })
    const created = await engine.runCreate({ public: { a: 1 } })
    expect(created.namespaces).toEqual({ public: { a: 1 }, d: { a: 1 } })
    expect(created.report.kind).toBe('create')
    const next = await engine.runTransform(created.namespaces, { public: { a: 2 } })
    expect(next.namespaces).toEqual({ public: { a: 2 }, d: { a: 2 } })
    expect(next.report.kind).toBe('transform')
    expect(store.calls).toEqual([])
    expect(contexts.map((c) => c.sessionId)).toEqual([undefined, undefined, undefined])
    expect(contexts.map((c) => c.app)).toEqual(['ctx', 'ctx', 'ctx'])
    // stateful calls do pass the id
    const { session } = await engine.create()
    expect(contexts.at(-1)!.sessionId).toBe(session.id)
  })

  it('runTransform validates namespaces it did not produce', async () => {
    const engine = new SessionEngine()
    await rejection(engine.runTransform({ public: { a: Number.NaN } }, {}), InvalidValueError, 'INVALID_VALUE')
    await rejection(engine.runTransform({ public: [] } as never, {}), InvalidValueError, 'INVALID_VALUE')
  })
})
