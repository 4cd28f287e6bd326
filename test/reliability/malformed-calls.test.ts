/**
 * Malformed calls: ids that are not ids, `items` filters that are not filters, changes that are
 * not changes objects, and JSON Patches that are not RFC 6902 (unknown ops, bad paths, failing
 * `test` ops, non-array bodies). Each is refused with `InvalidValueError`, nothing is saved, and
 * the refusal is asynchronous (a rejected promise, never a synchronous throw).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidValueError, ManualClock, MemoryStore, type Session, SessionEngine, recipe, jsonPatch } from '../../src/index'
import { fcParams } from '../support/fc'
import { counterIds, expectRejects, expectUnchanged } from '../support/faults'

async function setup(): Promise<{ engine: SessionEngine; store: MemoryStore; session: Session }> {
  const store = new MemoryStore()
  const engine = new SessionEngine({ store, clock: new ManualClock(0), generateId: counterIds() })
  const { session } = await engine.create({ public: { a: 1, list: [1, 2, 3], obj: { k: 'v' } }, account: { id: 'u1' } })
  return { engine, store, session }
}

/** Calls a method and checks it returned a promise (a synchronous throw would escape `.catch` handlers). */
function call(run: () => Promise<unknown>): Promise<unknown> {
  let result: Promise<unknown>
  try {
    result = run()
  } catch (error) {
    throw new Error(`threw synchronously instead of rejecting: ${String(error)}`)
  }
  expect(result).toBeInstanceOf(Promise)
  return result
}

const BAD_IDS: unknown[] = [
  undefined,
  null,
  0,
  42,
  Number.NaN,
  true,
  {},
  [],
  ['s1'],
  Symbol('id'),
  10n,
  () => 's1',
  new String('s1'),
  '',
  ' ',
  's 1',
  's1\n',
  's/1',
  '../s1',
  's1?x=1',
  'ß',
  '😀',
  '\u0000',
  'a'.repeat(129),
  'a'.repeat(1_000_000),
]

describe('malformed ids', () => {
  it('every method refuses every malformed id with InvalidValueError, asynchronously', async () => {
    const { engine, store, session } = await setup()
    for (const id of BAD_IDS) {
      const methods: Array<() => Promise<unknown>> = [
        () => engine.get(id as string),
        () => engine.get(id as string, { items: ['*'] }),
        () => engine.patch(id as string, { public: { a: 2 } }),
        () => engine.patch(id as string, recipe((d) => void (d.public!.a = 2))),
        () => engine.patch(id as string, jsonPatch([{ op: 'add', path: '/public/a', value: 2 }])),
        () => engine.delete(id as string),
        () => engine.touch(id as string),
      ]
      for (const method of methods) await expectRejects(call(method), InvalidValueError)
    }
    await expectUnchanged(engine, store, session)
  })

  it('well-formed ids of every allowed shape are accepted (absent ones read as absent)', async () => {
    const { engine } = await setup()
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_\-.:]{1,128}$/), async (id) => {
        expect(await engine.get(id === 's1' ? 's1x' : id)).toBeUndefined()
      }),
      fcParams(50),
    )
  })

  it('a generateId that yields a malformed id makes create fail with nothing saved', async () => {
    const store = new MemoryStore()
    for (const bad of ['', 'a b', 5, undefined]) {
      const engine = new SessionEngine({ store, generateId: () => bad as string })
      await expectRejects(engine.create({ public: { a: 1 } }), InvalidValueError)
    }
    expect(store.size).toBe(0)
  })
})

describe('malformed items filters', () => {
  const BAD_ITEMS: unknown[] = [
    'public.a',
    null,
    5,
    {},
    [5],
    [null],
    [''],
    ['.'],
    ['public'],
    ['public.'],
    ['.a'],
    ['*.*'],
    ['*.a'],
    ['public.**'],
    ['public.a.b'],
    ['public.*a'],
    ['__proto__.*'],
    ['public.__proto__'],
    ['constructor.prototype'],
    ['public.prototype*'],
    [`public.${'k'.repeat(129)}`],
    ['public.a\n'],
    Array.from({ length: 257 }, (_, i) => `public.k${i}`),
  ]

  it('get refuses each with InvalidValueError (and options that are not an object are refused too)', async () => {
    const { engine, store, session } = await setup()
    for (const items of BAD_ITEMS) {
      await expectRejects(call(() => engine.get(session.id, { items } as never)), InvalidValueError)
    }
    for (const options of [null, 5, 'items']) {
      await expectRejects(call(() => engine.get(session.id, options as never)), InvalidValueError)
    }
    await expectUnchanged(engine, store, session)
  })

  it('well-formed filters select exactly the matching params', async () => {
    const { engine, session } = await setup()
    expect((await engine.get(session.id, { items: [] }))!.namespaces).toEqual({})
    expect((await engine.get(session.id, { items: ['*'] }))!.namespaces).toEqual(session.namespaces)
    expect((await engine.get(session.id, { items: ['account.*', 'public.l*'] }))!.namespaces).toEqual({
      account: { id: 'u1' },
      public: { list: [1, 2, 3] },
    })
    expect((await engine.get(session.id, { items: ['public.toString', 'nope.x'] }))!.namespaces).toEqual({})
  })
})

describe('malformed changes', () => {
  const BAD_CHANGES: unknown[] = [
    null,
    5,
    'public.a=1',
    [],
    [['public', { a: 1 }]],
    new Map([['public', { a: 1 }]]),
    { public: null },
    { public: 5 },
    { public: [1] },
    { public: 'a' },
    { public: new Map() },
    { '': { a: 1 } },
    { public: { '': 1 } },
    { 'pub.lic': { a: 1 } },
    { public: { 'a.b': 1 } },
    { public: { 'a*': 1 } },
    { 'p*': { a: 1 } },
    { [`${'n'.repeat(129)}`]: { a: 1 } },
    { public: { [`${'k'.repeat(129)}`]: 1 } },
    { public: { 'a\u0000': 1 } },
    { [Symbol('ns')]: { a: 1 } },
    { public: { [Symbol('k')]: 1 } },
    Object.defineProperty({}, 'public', { get: () => ({ a: 1 }), enumerable: true }),
    { public: Object.defineProperty({}, 'a', { get: () => 1, enumerable: true }) },
  ]

  it('patch, create and runTransform refuse each with InvalidValueError', async () => {
    const { engine, store, session } = await setup()
    for (const changes of BAD_CHANGES) {
      await expectRejects(call(() => engine.patch(session.id, changes as never)), InvalidValueError)
      await expectRejects(call(() => engine.create(changes as never)), InvalidValueError)
      await expectRejects(call(() => engine.runTransform(session.namespaces, changes as never)), InvalidValueError)
    }
    await expectUnchanged(engine, store, session)
  })
})

describe('malformed JSON Patches', () => {
  const NOT_ARRAYS: unknown[] = [undefined, null, 5, 'add', {}, { op: 'add', path: '/public/a', value: 1 }, new Set()]

  const BAD_OPS: Array<{ name: string; ops: unknown[] }> = [
    { name: 'an op that is not an object', ops: [5] },
    { name: 'a null op', ops: [null] },
    { name: 'an array op', ops: [['add', '/public/a', 1]] },
    { name: 'a hole in the ops array', ops: [, { op: 'add', path: '/public/b', value: 1 }] }, // eslint-disable-line no-sparse-arrays
    { name: 'an unknown op', ops: [{ op: 'merge', path: '/public/a', value: 1 }] },
    { name: 'an op in capitals', ops: [{ op: 'ADD', path: '/public/a', value: 1 }] },
    { name: 'a missing op', ops: [{ path: '/public/a', value: 1 }] },
    { name: 'a non-string op', ops: [{ op: 1, path: '/public/a', value: 1 }] },
    { name: 'a missing path', ops: [{ op: 'add', value: 1 }] },
    { name: 'a non-string path', ops: [{ op: 'add', path: ['public', 'a'], value: 1 }] },
    { name: 'a path without a leading slash', ops: [{ op: 'add', path: 'public/a', value: 1 }] },
    { name: 'the whole document', ops: [{ op: 'replace', path: '', value: { public: {} } }] },
    { name: 'an empty namespace token', ops: [{ op: 'add', path: '/', value: {} }] },
    { name: 'an empty key token', ops: [{ op: 'add', path: '/public/', value: 1 }] },
    { name: 'a dotted key', ops: [{ op: 'add', path: '/public/a.b', value: 1 }] },
    { name: 'a huge path', ops: [{ op: 'add', path: `/public/a${'/x'.repeat(50_000)}`, value: 1 }] },
    { name: 'add without a value', ops: [{ op: 'add', path: '/public/a' }] },
    { name: 'replace with an undefined value', ops: [{ op: 'replace', path: '/public/a', value: undefined }] },
    { name: 'move without from', ops: [{ op: 'move', path: '/public/b' }] },
    { name: 'copy with a non-string from', ops: [{ op: 'copy', from: 5, path: '/public/b' }] },
    { name: 'remove of a missing param', ops: [{ op: 'remove', path: '/public/missing' }] },
    { name: 'replace of a missing param', ops: [{ op: 'replace', path: '/public/missing', value: 1 }] },
    { name: 'add inside a missing parent', ops: [{ op: 'add', path: '/public/missing/x', value: 1 }] },
    { name: 'add past the end of an array', ops: [{ op: 'add', path: '/public/list/9', value: 1 }] },
    { name: 'a non-numeric array index', ops: [{ op: 'add', path: '/public/list/x', value: 1 }] },
    { name: 'a leading-zero array index', ops: [{ op: 'replace', path: '/public/list/01', value: 1 }] },
    { name: 'move from a missing param', ops: [{ op: 'move', from: '/public/missing', path: '/public/b' }] },
    { name: 'move into its own child', ops: [{ op: 'move', from: '/public/obj', path: '/public/obj/k/x' }] },
    { name: 'a namespace replaced by a scalar', ops: [{ op: 'replace', path: '/public', value: 5 }] },
    { name: 'a namespace replaced by an array', ops: [{ op: 'add', path: '/public', value: [] }] },
    { name: 'an accessor op field', ops: [Object.defineProperty({ op: 'add', path: '/public/a' }, 'value', { get: () => 1, enumerable: true })] },
    { name: 'more than 1,000 ops', ops: Array.from({ length: 1_001 }, (_, i) => ({ op: 'add', path: `/public/k${i}`, value: i })) },
    { name: 'a failing test op', ops: [{ op: 'add', path: '/public/b', value: 1 }, { op: 'test', path: '/public/a', value: 2 }] },
    { name: 'a failing test op on a missing param', ops: [{ op: 'add', path: '/public/b', value: 1 }, { op: 'test', path: '/public/zz', value: null }] },
    { name: 'a failing deep test op', ops: [{ op: 'test', path: '/public/obj', value: { k: 'v', extra: 1 } }, { op: 'remove', path: '/public/a' }] },
    { name: 'a test op that fails only after earlier ops', ops: [{ op: 'replace', path: '/public/a', value: 5 }, { op: 'test', path: '/public/a', value: 1 }] },
    { name: 'a good op after a bad one', ops: [{ op: 'remove', path: '/public/missing' }, { op: 'add', path: '/public/b', value: 1 }] },
  ]

  it('a body that is not an array is refused', async () => {
    const { engine, store, session } = await setup()
    for (const body of NOT_ARRAYS) {
      await expectRejects(call(() => engine.patch(session.id, jsonPatch(body as never))), InvalidValueError)
    }
    await expectUnchanged(engine, store, session)
  })

  for (const { name, ops } of BAD_OPS) {
    it(`${name}: the whole patch is refused with InvalidValueError`, async () => {
      const { engine, store, session } = await setup()
      await expectRejects(call(() => engine.patch(session.id, jsonPatch(ops))), InvalidValueError)
      await expectUnchanged(engine, store, session)
    })
  }

  it('passing test ops let the patch apply whole (RFC 6902 order)', async () => {
    const { engine, session } = await setup()
    const { session: next } = await engine.patch(session.id, jsonPatch([
      { op: 'test', path: '/public/a', value: 1 },
      { op: 'test', path: '/public/obj', value: { k: 'v' } },
      { op: 'replace', path: '/public/a', value: 2 },
      { op: 'test', path: '/public/a', value: 2 },
      { op: 'add', path: '/public/list/-', value: 4 },
      { op: 'move', from: '/public/obj', path: '/public/moved' },
      { op: 'copy', from: '/public/list', path: '/public/copy' },
      { op: 'add', path: '/public/copy/0', value: 0 },
    ]))
    expect(next.namespaces.public).toEqual({ a: 2, list: [1, 2, 3, 4], moved: { k: 'v' }, copy: [0, 1, 2, 3, 4] })
    expect(next.version).toBe(2)
  })

  it('property: a patch with a failing test op anywhere is refused whole, one without applies whole', async () => {
    const { engine, store, session } = await setup()
    const setOp = fc.record({
      op: fc.constant('add' as const),
      path: fc.constantFrom('/public/a', '/public/b', '/public/c'),
      value: fc.integer({ min: 0, max: 3 }),
    })
    await fc.assert(
      fc.asyncProperty(fc.array(setOp, { maxLength: 5 }), fc.nat(), fc.boolean(), async (sets, at, fail) => {
        // the value `a` has when the test op runs, from the ops before it
        const position = sets.length === 0 ? 0 : at % (sets.length + 1)
        let a: unknown = 1
        for (const op of sets.slice(0, position)) if (op.path === '/public/a') a = op.value
        const test = { op: 'test', path: '/public/a', value: fail ? 'never' : a }
        const ops = [...sets.slice(0, position), test, ...sets.slice(position)]
        const before = store.get(session.id)
        if (fail) {
          await expectRejects(engine.patch(session.id, jsonPatch(ops)), InvalidValueError)
          expect(store.get(session.id)).toBe(before)
        } else {
          const { session: next } = await engine.patch(session.id, jsonPatch(ops))
          const expected: Record<string, unknown> = { ...before!.namespaces.public }
          for (const op of sets) expected[op.path.slice('/public/'.length)] = op.value
          expect(next.namespaces.public).toEqual(expected)
          // reset for the next run
          await engine.patch(session.id, { public: { a: 1, b: undefined, c: undefined } })
        }
      }),
      fcParams(60),
    )
  })
})

describe('exotic host input', () => {
  const throwing = () => {
    throw new Error('trap')
  }
  const revoked = () => {
    const r = Proxy.revocable([] as unknown[], {})
    r.revoke()
    return r.proxy
  }

  it('a revoked proxy or a proxy whose getPrototypeOf throws, as the ops or an op, is InvalidValueError; nothing saved', async () => {
    const { engine, store, session } = await setup()
    const op = { op: 'add', path: '/public/x', value: 1 }
    const bodies: unknown[] = [
      revoked(),
      [revoked()],
      [op, new Proxy(op, { getPrototypeOf: throwing })],
      new Proxy([op], { getOwnPropertyDescriptor: throwing }),
      [new Proxy(op, { getOwnPropertyDescriptor: throwing })],
    ]
    for (const body of bodies) {
      await expectRejects(call(() => engine.patch(session.id, jsonPatch(body as never))), InvalidValueError, 'INVALID_VALUE')
    }
    await expectUnchanged(engine, store, session)
    // an ops array is read by index only: its prototype is never asked, so this one is just its op
    const { session: after } = await engine.patch(session.id, jsonPatch(new Proxy([op], { getPrototypeOf: throwing })))
    expect(after.namespaces.public?.x).toBe(1)
    for (const options of [revoked(), new Proxy({}, { getOwnPropertyDescriptor: throwing }), { allow: revoked() }]) {
      await expectRejects(call(() => engine.patch(session.id, jsonPatch([op]), options as never)), InvalidValueError, 'INVALID_VALUE')
      await expectRejects(call(() => engine.patch(session.id, { public: { y: 1 } }, options as never)), InvalidValueError, 'INVALID_VALUE')
    }
    for (const options of [revoked(), { items: revoked() }, new Proxy({}, { getOwnPropertyDescriptor: throwing })]) {
      await expectRejects(call(() => engine.get(session.id, options as never)), InvalidValueError, 'INVALID_VALUE')
    }
    expect(store.get(session.id)).toBe(after)
  })

  it('an ops array with its own iterator cannot pass the 1,000-op limit (nor smuggle other ops)', async () => {
    const { engine, store, session } = await setup()
    const op = { op: 'add', path: '/public/x', value: 1 }
    const many = [op]
    Object.defineProperty(many, Symbol.iterator, {
      value: function* () {
        for (let i = 0; i < 100_000; i++) yield { op: 'add', path: `/public/k${i}`, value: i }
      },
    })
    // read as the one op it holds, not as the 100,000 its iterator yields
    const { session: after } = await engine.patch(session.id, jsonPatch(many))
    expect(after.namespaces.public).toEqual({ ...session.namespaces.public, x: 1 })
    const tooMany = Array.from({ length: 1_001 }, () => op)
    Object.defineProperty(tooMany, Symbol.iterator, { value: function* () {} })
    await expectRejects(call(() => engine.patch(after.id, jsonPatch(tooMany))), InvalidValueError, 'INVALID_VALUE')
    expect(store.get(session.id)).toBe(after)
  })

  it('a sparse items list or allow list is refused, not read as a shorter one', async () => {
    const { engine, store, session } = await setup()
    // eslint-disable-next-line no-sparse-arrays
    await expectRejects(call(() => engine.get(session.id, { items: ['public.a', , 'account.*'] as never })), InvalidValueError, 'INVALID_VALUE')
    await expectRejects(call(() => engine.get(session.id, { items: new Array(3) })), InvalidValueError, 'INVALID_VALUE')
    // eslint-disable-next-line no-sparse-arrays
    await expectRejects(call(() => engine.patch(session.id, { public: { x: 1 } }, { allow: ['account', ,] as never })), InvalidValueError, 'INVALID_VALUE')
    await expectUnchanged(engine, store, session)
  })
})
