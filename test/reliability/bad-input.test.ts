/**
 * The bad-input corpus: every value that is not plain JSON, every prototype name, every write
 * outside the writable namespaces goes through `create`, `patch` (changes object and recipe),
 * `jsonPatch` and the pure API. Each is refused with the right typed error, the store is
 * unchanged, `get` still returns the old session, and no built-in prototype was touched.
 */
import { describe, expect, it } from 'vitest'
import { ForbiddenWriteError, InvalidValueError, ManualClock, MemoryStore, type Session, SessionEngine, defineApp, recipe, jsonPatch } from '../../src/index'
import { counterIds, expectPrototypesUntouched, expectRejects, expectUnchanged } from '../support/faults'

/** A bad value, made fresh per use (some count their own reads). */
interface BadCase {
  readonly name: string
  readonly make: () => unknown
  /** Also bad as the direct value of a param (not just nested): false for `undefined`, which deletes there. */
  readonly topLevel: boolean
}

let getterReads = 0

class Point {
  constructor(
    public x = 1,
    public y = 2,
  ) {}
}

function sparse(): unknown[] {
  const a = [1, 2, 3]
  delete a[1]
  return a
}

function cyclicObject(): unknown {
  const o: Record<string, unknown> = { a: 1 }
  o.self = o
  return o
}

function cyclicArray(): unknown {
  const a: unknown[] = [1]
  a.push({ back: a })
  return a
}

function argumentsObject(..._: unknown[]): unknown {
  // eslint-disable-next-line prefer-rest-params
  return arguments
}

/** Values that are not plain JSON. */
const NOT_JSON: BadCase[] = [
  { name: 'undefined', make: () => undefined, topLevel: false },
  { name: 'NaN', make: () => Number.NaN, topLevel: true },
  { name: 'Infinity', make: () => Number.POSITIVE_INFINITY, topLevel: true },
  { name: '-Infinity', make: () => Number.NEGATIVE_INFINITY, topLevel: true },
  { name: 'function', make: () => () => 1, topLevel: true },
  { name: 'class (constructor function)', make: () => Point, topLevel: true },
  { name: 'symbol', make: () => Symbol('s'), topLevel: true },
  { name: 'BigInt', make: () => 10n, topLevel: true },
  { name: 'Date', make: () => new Date(0), topLevel: true },
  { name: 'Map', make: () => new Map([['a', 1]]), topLevel: true },
  { name: 'Set', make: () => new Set([1]), topLevel: true },
  { name: 'WeakMap', make: () => new WeakMap(), topLevel: true },
  { name: 'class instance', make: () => new Point(), topLevel: true },
  { name: 'Uint8Array', make: () => new Uint8Array([1, 2]), topLevel: true },
  { name: 'Float64Array', make: () => new Float64Array(2), topLevel: true },
  { name: 'ArrayBuffer', make: () => new ArrayBuffer(4), topLevel: true },
  { name: 'RegExp', make: () => /x/, topLevel: true },
  { name: 'Error', make: () => new Error('e'), topLevel: true },
  { name: 'Promise', make: () => Promise.resolve(1), topLevel: true },
  { name: 'boxed String', make: () => new String('s'), topLevel: true },
  { name: 'boxed Number', make: () => new Number(1), topLevel: true },
  { name: 'arguments object', make: () => argumentsObject(1, 2), topLevel: true },
  {
    name: 'getter with side effects',
    make: () => ({
      get g() {
        getterReads++
        return 1
      },
    }),
    topLevel: true,
  },
  { name: 'non-enumerable property', make: () => Object.defineProperty({}, 'hidden', { value: 1, enumerable: false }), topLevel: true },
  { name: 'symbol key', make: () => ({ [Symbol('k')]: 1 }), topLevel: true },
  { name: 'toJSON method', make: () => ({ toJSON: () => 'x' }), topLevel: true },
  { name: 'cyclic object', make: cyclicObject, topLevel: true },
  { name: 'cyclic array', make: cyclicArray, topLevel: true },
  { name: 'sparse array', make: sparse, topLevel: true },
  { name: 'array with extra property', make: () => Object.assign([1], { extra: 2 }), topLevel: true },
  { name: 'array with a symbol property', make: () => Object.assign([1], { [Symbol('s')]: 2 }), topLevel: true },
  { name: 'array subclass', make: () => new (class L extends Array {})(), topLevel: true },
  { name: 'undefined inside an array', make: () => [1, undefined, 3], topLevel: true },
  { name: 'undefined member of an object', make: () => ({ a: undefined }), topLevel: true },
  { name: 'object with a non-plain prototype', make: () => Object.create({ inherited: 1 }), topLevel: true },
  {
    name: 'proxy lying about its keys',
    make: () => new Proxy({}, { ownKeys: () => ['ghost'], getOwnPropertyDescriptor: () => undefined }),
    topLevel: true,
  },
  {
    name: 'proxy whose traps throw',
    make: () =>
      new Proxy(
        {},
        {
          ownKeys: () => {
            throw new Error('trap')
          },
        },
      ),
    topLevel: true,
  },
]

/** Values carrying prototype names as own keys (as `JSON.parse` makes them). */
const PROTOTYPE_KEYS: BadCase[] = [
  { name: '__proto__ key (JSON.parse)', make: () => JSON.parse('{"__proto__": {"polluted": 1}}'), topLevel: true },
  { name: 'constructor.prototype keys', make: () => JSON.parse('{"constructor": {"prototype": {"polluted": 1}}}'), topLevel: true },
  { name: 'prototype key', make: () => JSON.parse('{"prototype": {"polluted": 1}}'), topLevel: true },
  { name: '__proto__ deep inside', make: () => JSON.parse('{"a": [{"b": {"__proto__": {"polluted": 1}}}]}'), topLevel: true },
  { name: '__proto__ via defineProperty', make: () => Object.defineProperty({}, '__proto__', { value: { polluted: 1 }, enumerable: true }), topLevel: true },
]

const ALL = [...NOT_JSON, ...PROTOTYPE_KEYS]

/** Ways a bad value is placed: directly as the param, or nested inside a valid value. */
const PLACEMENTS: Array<{ name: string; wrap: (v: unknown) => unknown; needsTopLevel: boolean }> = [
  { name: 'as the param', wrap: (v) => v, needsTopLevel: true },
  { name: 'inside an array', wrap: (v) => [0, v], needsTopLevel: false },
  { name: 'inside an object', wrap: (v) => ({ ok: true, deep: { v } }), needsTopLevel: false },
]

const echo = defineApp({
  name: 'echo',
  input: { public: ['x'] },
  output: { derived: ['x'] },
  transform: (input) => ({ derived: { x: input.public.x } }),
})

async function setup(): Promise<{ engine: SessionEngine; store: MemoryStore; session: Session }> {
  const store = new MemoryStore()
  const engine = new SessionEngine({ apps: [echo], store, clock: new ManualClock(1_000), generateId: counterIds() })
  const { session } = await engine.create({ public: { x: 'kept', other: [1, { a: 2 }] }, cookie: { token: 't' } })
  return { engine, store, session }
}

type Entry = (engine: SessionEngine, id: string, value: unknown) => Promise<unknown>

/** Every write entry point, given a value for `public.x`. */
const ENTRIES: Array<{ name: string; run: Entry }> = [
  { name: 'create', run: (engine, _id, value) => engine.create({ public: { x: value } as never }) },
  { name: 'create (host namespace)', run: (engine, _id, value) => engine.create({ cookie: { x: value } as never }) },
  { name: 'patch (changes object)', run: (engine, id, value) => engine.patch(id, { public: { x: value } as never }) },
  {
    name: 'patch (recipe)',
    run: (engine, id, value) =>
      engine.patch(id, recipe((draft) => {
        draft.public!.x = value as never
      })),
  },
  { name: 'applyJsonPatch add', run: (engine, id, value) => engine.patch(id, jsonPatch([{ op: 'add', path: '/public/x', value }])) },
  { name: 'applyJsonPatch replace', run: (engine, id, value) => engine.patch(id, jsonPatch([{ op: 'replace', path: '/public/x', value }])) },
  {
    name: 'applyJsonPatch add inside a value',
    run: (engine, id, value) => engine.patch(id, jsonPatch([{ op: 'add', path: '/public/other/1/b', value }])),
  },
  {
    name: 'applyJsonPatch whole namespace',
    run: (engine, id, value) => engine.patch(id, jsonPatch([{ op: 'replace', path: '/public', value: { x: value } }])),
  },
  { name: 'runTransform', run: (engine, _id, value) => engine.runTransform({}, { public: { x: value } as never }) },
  { name: 'runCreate', run: (engine, _id, value) => engine.runCreate({ public: { x: value } as never }) },
]

describe('values that are not plain JSON, and prototype keys inside values', () => {
  for (const entry of ENTRIES) {
    it(`${entry.name}: every case is refused with InvalidValueError and nothing is saved`, async () => {
      const { engine, store, session } = await setup()
      getterReads = 0
      let cases = 0
      for (const bad of ALL) {
        for (const placement of PLACEMENTS) {
          if (placement.needsTopLevel && !bad.topLevel) continue
          // the recipe path: assigning `undefined` to a draft key deletes it (documented), so skip that one
          const value = placement.wrap(bad.make())
          const error = await expectRejects(entry.run(engine, session.id, value), InvalidValueError).catch((e: Error) => {
            throw new Error(`${entry.name} / ${bad.name} / ${placement.name}: ${e.message}`)
          })
          expect(error.code).toBe('INVALID_VALUE')
          await expectUnchanged(engine, store, session)
          cases++
        }
      }
      expect(cases).toBeGreaterThan(100)
      // values are read through property descriptors: a getter never runs (recipes are host code run by immer)
      if (entry.name !== 'patch (recipe)') expect(getterReads).toBe(0)
    })
  }

  it('-0 is stored as 0, Object.create(null) objects are plain, frozen inputs are fine', async () => {
    const { engine, session } = await setup()
    const { session: next } = await engine.patch(session.id, {
      public: { x: -0, n: Object.assign(Object.create(null), { a: 1 }), f: Object.freeze([1, 2]) },
    })
    expect(Object.is(next.namespaces.public!.x, 0)).toBe(true)
    expect(next.namespaces.public!.n).toEqual({ a: 1 })
    expect(Object.getPrototypeOf(next.namespaces.public!.n)).toBe(Object.prototype)
    expectPrototypesUntouched()
  })

  it('a value is copied: mutating the caller’s object afterwards cannot reach the session', async () => {
    const { engine, store, session } = await setup()
    const mine = { list: [1, 2], nested: { a: 1 } }
    const { session: next } = await engine.patch(session.id, { public: { x: mine } })
    mine.list.push(3)
    mine.nested.a = 99
    expect(store.get(session.id)!.namespaces.public!.x).toEqual({ list: [1, 2], nested: { a: 1 } })
    expect(Object.isFrozen(next.namespaces.public!.x)).toBe(true)
  })
})

describe('prototype names as namespaces and keys', () => {
  const changesCases: Array<{ name: string; make: () => unknown }> = [
    { name: '__proto__ namespace (JSON.parse)', make: () => JSON.parse('{"__proto__": {"polluted": 1}}') },
    { name: 'constructor namespace', make: () => JSON.parse('{"constructor": {"prototype": 1}}') },
    { name: 'prototype namespace', make: () => ({ prototype: { polluted: 1 } }) },
    { name: '__proto__ key', make: () => ({ public: JSON.parse('{"__proto__": {"polluted": 1}}') }) },
    { name: 'constructor key', make: () => ({ public: { constructor: { prototype: { polluted: 1 } } } }) },
    { name: 'prototype key', make: () => ({ public: { prototype: 1 } }) },
    { name: 'object literal __proto__ (sets the prototype)', make: () => ({ public: { __proto__: { polluted: 1 }, a: 1 } }) },
    { name: 'changes with a non-plain prototype', make: () => ({ __proto__: { public: { a: 1 } } }) },
  ]
  for (const c of changesCases) {
    it(`${c.name}: refused by create, patch and runTransform`, async () => {
      const { engine, store, session } = await setup()
      await expectRejects(engine.create(c.make() as never), InvalidValueError)
      await expectUnchanged(engine, store, session)
      await expectRejects(engine.patch(session.id, c.make() as never), InvalidValueError)
      await expectUnchanged(engine, store, session)
      await expectRejects(engine.runTransform({}, c.make() as never), InvalidValueError)
      await expectRejects(engine.runTransform(c.make() as never, {}), InvalidValueError)
      await expectUnchanged(engine, store, session)
    })
  }

  const recipes: Array<{ name: string; recipe: (draft: any) => unknown }> = [
    { name: 'assigns __proto__ on a namespace', recipe: (d) => void (d.public['__proto__'] = { polluted: 1 }) },
    { name: 'assigns __proto__ on the root', recipe: (d) => void (d['__proto__'] = { polluted: 1 }) },
    { name: 'sets the prototype of a namespace', recipe: (d) => void Object.setPrototypeOf(d.public, { polluted: 1 }) },
    { name: 'defines an own __proto__ key', recipe: (d) => void Object.defineProperty(d.public, '__proto__', { value: 1, enumerable: true }) },
    { name: 'assigns a constructor key', recipe: (d) => void (d.public.constructor = { prototype: { polluted: 1 } }) },
    { name: 'assigns a prototype key', recipe: (d) => void (d.public.prototype = 1) },
    { name: 'assigns a JSON.parse __proto__ value', recipe: (d) => void (d.public.y = JSON.parse('{"__proto__": {"polluted": 1}}')) },
    { name: 'replaces a namespace with a non-object', recipe: (d) => void (d.public = 5) },
    { name: 'replaces a namespace with an array', recipe: (d) => void (d.public = [1]) },
    { name: 'returns a non-object', recipe: () => 5 },
    { name: 'returns a new value and also modifies the draft', recipe: (d) => ((d.public.a = 1), { public: {} }) },
    { name: 'is async', recipe: async (d) => void (d.public.a = 1) },
  ]
  for (const r of recipes) {
    it(`a recipe that ${r.name} is refused with InvalidValueError`, async () => {
      const { engine, store, session } = await setup()
      await expectRejects(engine.patch(session.id, recipe(r.recipe as never)), InvalidValueError)
      await expectUnchanged(engine, store, session)
    })
  }

  const pointers = [
    '/public/__proto__',
    '/public/__proto__/polluted',
    '/__proto__/polluted',
    '/__proto__',
    '/public/constructor/prototype/polluted',
    '/public/other/__proto__/polluted',
    '/public/other/1/constructor',
    '/public/prototype',
    '/constructor/prototype',
  ]
  for (const path of pointers) {
    it(`JSON Patch path ${path} is refused in every op and in "from"`, async () => {
      const { engine, store, session } = await setup()
      const opsList: unknown[][] = [
        [{ op: 'add', path, value: { polluted: 1 } }],
        [{ op: 'replace', path, value: 1 }],
        [{ op: 'remove', path }],
        [{ op: 'test', path, value: 1 }],
        [{ op: 'copy', from: '/public/x', path }],
        [{ op: 'move', from: '/public/x', path }],
        [{ op: 'copy', from: path, path: '/public/y' }],
        [{ op: 'move', from: path, path: '/public/y' }],
      ]
      for (const ops of opsList) {
        await expectRejects(engine.patch(session.id, jsonPatch(ops)), InvalidValueError)
        await expectUnchanged(engine, store, session)
      }
    })
  }

  it('JSON Patch values carrying __proto__ keys are refused', async () => {
    const { engine, store, session } = await setup()
    for (const raw of ['{"__proto__": {"polluted": 1}}', '{"a": {"constructor": {"prototype": {"polluted": 1}}}}']) {
      await expectRejects(engine.patch(session.id, jsonPatch([{ op: 'add', path: '/public/y', value: JSON.parse(raw) }])), InvalidValueError)
      await expectRejects(engine.patch(session.id, jsonPatch(JSON.parse(`[{"op": "add", "path": "/public", "value": ${raw}}]`))), InvalidValueError)
      await expectUnchanged(engine, store, session)
    }
  })

  it('~ escapes: ~0 and ~1 decode to "~" and "/" keys; any other "~" is refused', async () => {
    const { engine, store, session } = await setup()
    for (const path of ['/public/a~2', '/public/a~', '/public/~', '/public/~x', '/pub~lic/a']) {
      await expectRejects(engine.patch(session.id, jsonPatch([{ op: 'add', path, value: 1 }])), InvalidValueError)
      await expectUnchanged(engine, store, session)
    }
    const { session: next } = await engine.patch(session.id, jsonPatch([
      { op: 'add', path: '/public/a~1b', value: 1 },
      { op: 'add', path: '/public/a~0b', value: 2 },
      { op: 'add', path: '/public/~01', value: 3 },
      { op: 'add', path: '/public/__proto~1__', value: 4 },
    ]))
    expect(next.namespaces.public).toEqual({ ...session.namespaces.public, 'a/b': 1, 'a~b': 2, '~1': 3, '__proto/__': 4 })
    expect((await engine.get(session.id, { items: ['public.a/b'] }))!.namespaces).toEqual({ public: { 'a/b': 1 } })
    expectPrototypesUntouched()
  })
})

describe('writes outside the writable namespaces', () => {
  it('are refused with ForbiddenWriteError by patch, recipes and every JSON Patch op, nothing applied', async () => {
    const { engine, store, session } = await setup()
    const attempts: Array<() => Promise<unknown>> = [
      () => engine.patch(session.id, { cookie: { token: 'stolen' } }),
      () => engine.patch(session.id, { public: { x: 'ok' }, cookie: { token: 'stolen' } }),
      () => engine.patch(session.id, { derived: { x: 'forged' } }),
      () => engine.patch(session.id, { brandNew: { a: 1 } }),
      () =>
        engine.patch(session.id, recipe((d) => {
          d.public!.x = 'ok'
          ;(d as Record<string, unknown>).cookie = { token: 'stolen' }
        })),
      () => engine.patch(session.id, jsonPatch([{ op: 'add', path: '/cookie/token', value: 'stolen' }])),
      () => engine.patch(session.id, jsonPatch([{ op: 'replace', path: '/cookie', value: {} }])),
      () => engine.patch(session.id, jsonPatch([{ op: 'remove', path: '/cookie/token' }])),
      () => engine.patch(session.id, jsonPatch([{ op: 'test', path: '/cookie/token', value: 't' }])),
      () => engine.patch(session.id, jsonPatch([{ op: 'copy', from: '/cookie/token', path: '/public/leak' }])),
      () => engine.patch(session.id, jsonPatch([{ op: 'move', from: '/cookie/token', path: '/public/leak' }])),
      () =>
        engine.patch(session.id, jsonPatch([
          { op: 'add', path: '/public/x', value: 'ok' },
          { op: 'add', path: '/derived/x', value: 'forged' },
        ])),
    ]
    for (const attempt of attempts) {
      const error = await expectRejects(attempt(), ForbiddenWriteError)
      expect(error.code).toBe('FORBIDDEN_WRITE')
      expect(error.params.length).toBeGreaterThan(0)
      await expectUnchanged(engine, store, session)
    }
  })

  it('host code writes its own namespace only with an explicit allow; a malformed allow is refused', async () => {
    const { engine, store, session } = await setup()
    for (const allow of [['__proto__'], ['constructor'], [''], [5], 'cookie', [{}]]) {
      await expectRejects(engine.patch(session.id, { cookie: { token: 'x' } }, { allow } as never), InvalidValueError)
      await expectUnchanged(engine, store, session)
    }
    const { session: next } = await engine.patch(session.id, { cookie: { token: 'new' } }, { allow: ['cookie'] })
    expect(next.namespaces.cookie).toEqual({ token: 'new' })
    expect(next.version).toBe(2)
  })
})
