/**
 * Size limits: documented defaults, each limit enforced at every entry point with a typed error
 * and nothing saved, 100k-deep nesting refused without a stack overflow, and the incremental
 * session-size accounting agreeing with a fresh computation after any sequence of changes.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, DEFAULT_LIMITS, InvalidValueError, type Limits, ManualClock, MemoryStore, type Session, SessionEngine, defineApp, recipe, jsonPatch } from '../../src/index'
import { checkValue, jsonStringBytes, sizeOf } from '../../src/util/json'
import type { JsonValue } from '../../src/index'
import { fcParams } from '../support/fc'
import { counterIds, expectRejects, expectUnchanged } from '../support/faults'

async function setup(limits?: Partial<Limits>, apps = [] as ReturnType<typeof defineApp>[]) {
  const store = new MemoryStore()
  const engine = new SessionEngine({ apps, store, limits, clock: new ManualClock(0), generateId: counterIds() })
  const { session } = await engine.create({ public: { seed: 1 } })
  return { engine, store, session }
}

/** Every client entry point writing `public.x = value`. */
function writers(engine: SessionEngine, id: string): Array<[string, (value: unknown) => Promise<unknown>]> {
  return [
    ['create', (value) => engine.create({ public: { x: value as never } })],
    ['patch', (value) => engine.patch(id, { public: { x: value as never } })],
    ['recipe', (value) => engine.patch(id, recipe((d) => void (d.public!.x = value as never)))],
    ['jsonPatch', (value) => engine.patch(id, jsonPatch([{ op: 'add', path: '/public/x', value }]))],
    ['runTransform', (value) => engine.runTransform({}, { public: { x: value as never } })],
  ]
}

/** `depth` nested arrays around a scalar: depth 0 is the scalar itself. */
function nestedArrays(depth: number): unknown {
  let v: unknown = 0
  for (let i = 0; i < depth; i++) v = [v]
  return v
}

function nestedObjects(depth: number): unknown {
  let v: unknown = 0
  for (let i = 0; i < depth; i++) v = { a: v }
  return v
}

describe('limit defaults', () => {
  it('are the documented values, fit a real session with wide headroom, and are frozen', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxSessionBytes: 65_536,
      maxDepth: 32,
      maxKeysPerNamespace: 1_000,
      maxStringLength: 16_384,
      maxNamespaces: 64,
    })
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true)
    expect(new SessionEngine().limits).toEqual(DEFAULT_LIMITS)
    expect(new SessionEngine({ limits: { maxDepth: 4 } }).limits).toEqual({ ...DEFAULT_LIMITS, maxDepth: 4 })
  })

  it('a realistic few-KB session is far below every default', async () => {
    const { engine, session } = await setup()
    const cart = Array.from({ length: 40 }, (_, i) => ({ sku: `SKU-${i}`, qty: 1 + (i % 3), price: 19.99, tags: ['a', 'b'] }))
    const { session: next } = await engine.patch(session.id, { public: { cart, country: 'DE', utm_source: 'newsletter' } })
    expect(JSON.stringify(next.namespaces).length).toBeGreaterThan(2_000)
    expect(JSON.stringify(next.namespaces).length * 10).toBeLessThan(DEFAULT_LIMITS.maxSessionBytes)
  })

  it('bad limits are a ConfigError', () => {
    for (const limits of [{ maxDepth: 0 }, { maxDepth: 1_001 }, { maxSessionBytes: -1 }, { maxStringLength: 1.5 }, { maxNamespaces: Number.NaN }, { maxKeysPerNamespace: '10' }]) {
      expect(() => new SessionEngine({ limits: limits as never })).toThrow(ConfigError)
    }
  })
})

describe('each limit at every entry point', () => {
  it('maxStringLength: a string of exactly the limit passes, one more is refused (values and keys inside values)', async () => {
    const { engine, store, session } = await setup({ maxStringLength: 100 })
    for (const [name, write] of writers(engine, session.id)) {
      for (const tooLong of ['x'.repeat(101), ['ok', 'x'.repeat(101)], { ['k'.repeat(101)]: 1 }]) {
        await expectRejects(write(tooLong), InvalidValueError).catch((e: Error) => {
          throw new Error(`${name}: ${e.message}`)
        })
        await expectUnchanged(engine, store, session)
      }
    }
    await engine.runTransform({}, { public: { x: 'x'.repeat(100), y: { ['k'.repeat(100)]: 1 } } })
  })

  it('maxDepth: depth equal to the limit passes, one deeper is refused', async () => {
    const { engine, store, session } = await setup({ maxDepth: 5 })
    for (const [name, write] of writers(engine, session.id)) {
      for (const tooDeep of [nestedArrays(6), nestedObjects(6)]) {
        await expectRejects(write(tooDeep), InvalidValueError).catch((e: Error) => {
          throw new Error(`${name}: ${e.message}`)
        })
        await expectUnchanged(engine, store, session)
      }
    }
    const { namespaces } = await engine.runTransform({}, { public: { x: nestedArrays(5) as JsonValue, y: nestedObjects(5) as JsonValue } })
    expect(namespaces.public!.x).toEqual(nestedArrays(5))
  })

  it('maxKeysPerNamespace: in one call and accumulated over calls', async () => {
    const { engine, store, session } = await setup({ maxKeysPerNamespace: 10 })
    const keys = (n: number, prefix: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, i]))
    await expectRejects(engine.patch(session.id, { public: keys(11, 'k') }), InvalidValueError)
    await expectRejects(engine.create({ public: keys(11, 'k') }), InvalidValueError)
    await expectRejects(
      engine.patch(session.id, jsonPatch(Object.entries(keys(10, 'k')).map(([k, v]) => ({ op: 'add', path: `/public/${k}`, value: v })))),
      InvalidValueError,
    )
    await expectUnchanged(engine, store, session)
    const { session: five } = await engine.patch(session.id, { public: keys(5, 'a') }) // 6 with `seed`
    await expectRejects(engine.patch(session.id, { public: keys(5, 'b') }), InvalidValueError)
    await expectRejects(engine.patch(session.id, recipe((d) => void Object.assign(d.public!, keys(5, 'b')))), InvalidValueError)
    await expectUnchanged(engine, store, five)
    const { session: ten } = await engine.patch(session.id, { public: keys(4, 'b') })
    expect(Object.keys(ten.namespaces.public!)).toHaveLength(10)
  })

  it('maxNamespaces: create with one namespace too many is refused', async () => {
    const { engine, store, session } = await setup({ maxNamespaces: 3 })
    await expectRejects(engine.create({ a: { x: 1 }, b: { x: 1 }, c: { x: 1 }, d: { x: 1 } }), InvalidValueError)
    await expectRejects(engine.patch(session.id, { a: { x: 1 }, b: { x: 1 }, c: { x: 1 } }, { allow: ['a', 'b', 'c'] }), InvalidValueError)
    await expectUnchanged(engine, store, session)
    expect(store.size).toBe(1)
    await engine.patch(session.id, { a: { x: 1 }, b: { x: 1 } }, { allow: ['a', 'b'] })
  })

  it('maxSessionBytes: one big write, and many small ones, are refused once over; deleting makes room again', async () => {
    const { engine, store, session } = await setup({ maxSessionBytes: 1_000 })
    await expectRejects(engine.patch(session.id, { public: { big: 'x'.repeat(1_000) } }), InvalidValueError)
    await expectRejects(engine.create({ public: { big: 'x'.repeat(1_000) } }), InvalidValueError)
    await expectUnchanged(engine, store, session)
    let current = session
    for (let i = 0; ; i++) {
      try {
        current = (await engine.patch(session.id, { public: { [`k${i}`]: 'y'.repeat(80) } })).session
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidValueError)
        break
      }
    }
    expect(JSON.stringify(current.namespaces).length).toBeGreaterThan(850)
    expect(JSON.stringify(current.namespaces).length).toBeLessThanOrEqual(1_000)
    await expectUnchanged(engine, store, current)
    await engine.patch(session.id, { public: { k0: undefined, k1: undefined } })
    await engine.patch(session.id, { public: { again: 'z'.repeat(80) } })
  })

  it('a transform output that pushes the session over a limit fails the call; nothing is saved', async () => {
    const inflate = defineApp({
      name: 'inflate',
      input: { public: ['size'] },
      output: { derived: ['blob'] },
      transform: (input) => ({ derived: { blob: 'b'.repeat(Number(input.public.size ?? 0)) } }),
    })
    const { engine, store, session } = await setup({ maxSessionBytes: 500 }, [inflate])
    await expectRejects(engine.patch(session.id, { public: { size: 600 } }), InvalidValueError)
    await expectUnchanged(engine, store, session)
    const { session: next } = await engine.patch(session.id, { public: { size: 100 } })
    expect(next.namespaces.derived!.blob).toHaveLength(100)
  })

  it('a transform output over maxStringLength or maxDepth is isolated like a throw', async () => {
    const bloat = defineApp({
      name: 'bloat',
      input: { public: ['kind'] },
      output: { derived: ['v'] },
      transform: (input) => ({ derived: { v: input.public.kind === 'long' ? 'x'.repeat(101) : nestedObjects(100_000) } as never }),
    })
    const { engine, session } = await setup({ maxStringLength: 100 }, [bloat])
    for (const kind of ['long', 'deep']) {
      const { session: next, report } = await engine.patch(session.id, { public: { kind } })
      expect(next.namespaces.derived).toBeUndefined()
      expect(report.waves[0]!.apps[0]).toMatchObject({ app: 'bloat', status: 'failed', error: { kind: 'invalid-output' } })
    }
  })
})

describe('amplification', () => {
  const doubling = (copies: number) => [
    { op: 'add', path: '/public/x', value: [0] },
    ...Array.from({ length: copies }, () => ({ op: 'copy', from: '/public/x', path: '/public/x/-' })),
  ]

  it('a JSON Patch whose copy ops double a value is stopped at the op that crosses maxSessionBytes', async () => {
    const { engine, store, session } = await setup()
    // 18 doublings reach ~1 MB: the patch must be refused at the op that crosses 64 KB, not after
    const error = await expectRejects(engine.patch(session.id, jsonPatch(doubling(18))), InvalidValueError)
    expect(error.message).toMatch(/operation 1[0-9]\b/)
    expect(error.path).toBe('/public/x/-')
    await expectUnchanged(engine, store, session)
  })

  it('60 doubling copies (2^60 elements if applied) are refused, not computed', async () => {
    const { engine, store, session } = await setup()
    await expectRejects(engine.patch(session.id, jsonPatch(doubling(60))), InvalidValueError)
    await expectRejects(
      engine.patch(session.id, jsonPatch([
        { op: 'add', path: '/public/s', value: 's'.repeat(16_000) },
        ...Array.from({ length: 999 }, (_, i) => ({ op: 'copy', from: '/public/s', path: `/public/c${i}` })),
      ])),
      InvalidValueError,
    )
    await expectUnchanged(engine, store, session)
  })

  it('a value sharing sub-objects (a DAG: 2^n leaves from n objects) is refused once its tree passes maxSessionBytes', async () => {
    const dag = (levels: number) => {
      let v: unknown = 'leaf'
      for (let i = 0; i < levels; i++) v = [v, v]
      return v
    }
    const { engine, store, session } = await setup()
    // refused while it is being copied, at the value itself, not as a whole session afterwards
    const error = await expectRejects(engine.patch(session.id, { public: { x: dag(17) as JsonValue } }), InvalidValueError)
    expect(error.path).toMatch(/^public\.x/)
    for (const [name, write] of writers(engine, session.id)) {
      await expectRejects(write(dag(31)), InvalidValueError).catch((e: Error) => {
        throw new Error(`${name}: ${e.message}`)
      })
    }
    await expectUnchanged(engine, store, session)
    const shared = defineApp({ name: 'shared', input: { public: ['go'] }, output: { derived: ['v'] }, transform: () => ({ derived: { v: dag(31) as JsonValue } }) })
    const withApp = await setup(undefined, [shared])
    const { session: next, report } = await withApp.engine.patch(withApp.session.id, { public: { go: 1 } })
    expect(next.namespaces.derived).toBeUndefined()
    expect(report.waves[0]!.apps[0]).toMatchObject({ status: 'failed', error: { kind: 'invalid-output' } })
  })

  it('a patch staying under the limit at every step still applies (replacing a big value many times)', async () => {
    const { engine, session } = await setup()
    const big = 'b'.repeat(15_000)
    const ops = Array.from({ length: 50 }, (_, i) => ({ op: 'add', path: '/public/big', value: `${i}${big}` }))
    const { session: next } = await engine.patch(session.id, jsonPatch([...ops, { op: 'copy', from: '/public/big', path: '/public/copy' }]))
    expect(next.namespaces.public!.copy).toBe(`49${big}`)
  })
})

describe('100k-deep nesting', () => {
  const DEPTH = 100_000
  const deepJson = () => JSON.parse(`${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`) as unknown
  const deepObjectJson = () => JSON.parse(`${'{"a":'.repeat(DEPTH)}0${'}'.repeat(DEPTH)}`) as unknown

  it('JSON.parse of a 100k-deep string works, so such values do reach the engine', () => {
    expect(Array.isArray(deepJson())).toBe(true)
  })

  it('is refused with InvalidValueError at every entry point — parsed or built in a loop, arrays or objects — never a stack overflow', async () => {
    const { engine, store, session } = await setup()
    for (const [name, make] of [
      ['JSON.parse arrays', deepJson],
      ['JSON.parse objects', deepObjectJson],
      ['loop-built arrays', () => nestedArrays(DEPTH)],
      ['loop-built objects', () => nestedObjects(DEPTH)],
    ] as const) {
      for (const [entry, write] of writers(engine, session.id)) {
        const error = await expectRejects(write(make()), InvalidValueError).catch((e: Error) => {
          throw new Error(`${name} through ${entry}: ${e.message}`)
        })
        expect(error.message).toMatch(/nest|deep/)
        await expectUnchanged(engine, store, session)
      }
      await expectRejects(engine.patch(session.id, jsonPatch([{ op: 'replace', path: '/public', value: { x: make() } }])), InvalidValueError)
      await expectRejects(engine.runTransform({ public: { x: make() } } as never, {}), InvalidValueError)
      await expectRejects(engine.runCreate({ cookie: { x: make() } } as never), InvalidValueError)
      await expectUnchanged(engine, store, session)
    }
  })

  it('a 100k-long JSON Patch path and a 100k-wide array are refused too', async () => {
    const { engine, store, session } = await setup()
    await expectRejects(engine.patch(session.id, jsonPatch([{ op: 'add', path: `/public${'/a'.repeat(DEPTH)}`, value: 1 }])), InvalidValueError)
    await expectRejects(engine.patch(session.id, { public: { wide: Array.from({ length: DEPTH }, () => 1) } }), InvalidValueError)
    await expectRejects(engine.patch(session.id, { public: Object.fromEntries(Array.from({ length: DEPTH }, (_, i) => [`k${i}`, 1])) }), InvalidValueError)
    await expectUnchanged(engine, store, session)
  })
})

describe('session size accounting', () => {
  it('property: a number is counted as long as its JSON text (integers are counted digit by digit, others with String)', () => {
    const finite = fc.oneof(
      fc.integer(),
      fc.maxSafeInteger(),
      fc.constantFrom(0, -0, 9, 10, -10, 99, 100, 2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 53, 1e21, -1e21, 1e-7, 0.1),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
    )
    fc.assert(
      fc.property(finite, (n) => {
        expect(sizeOf(n)).toBe(JSON.stringify(n).length)
      }),
      fcParams(2_000),
    )
  })

  it('property: the size counted is exactly the UTF-8 length of the JSON text (escapes, multi-byte, lone surrogates)', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.string({ unit: fc.constantFrom('\u0001', '\n', '"', '\\', '\u007f', 'é', '€', '\ud83d', '\ude00', '😀', 'a'), maxLength: 40 }),
    )
    const value = fc.letrec((tie) => ({
      json: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('json'), { maxLength: 4 }),
        fc.dictionary(text.filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)), tie('json'), { maxKeys: 4 }),
      ),
    })).json
    fc.assert(
      fc.property(value, (v) => {
        const exact = utf8Length(v)
        expect(checkValue(v, 'v', { ...DEFAULT_LIMITS, maxSessionBytes: 1e9 }).size).toBe(exact)
        expect(sizeOf(v as JsonValue)).toBe(exact)
        expect(jsonStringBytes(typeof v === 'string' ? v : 'x')).toBe(utf8Length(typeof v === 'string' ? v : 'x'))
      }),
      fcParams(2_000),
    )
  })

  it('maxSessionBytes counts UTF-8 bytes: three strings of 16,000 \\u0001 (288 KB of JSON) are refused', async () => {
    const engine = new SessionEngine()
    const big = '\u0001'.repeat(16_000)
    await expectRejects(engine.create({ public: { a: big, b: big, c: big } }), InvalidValueError, 'INVALID_VALUE')
    await expectRejects(engine.create({ public: { a: big } }), InvalidValueError, 'INVALID_VALUE') // 96 KB alone
    const multiByte = '€'.repeat(16_000) // 48 KB of UTF-8
    const { session } = await engine.create({ public: { a: multiByte } })
    await expectRejects(engine.patch(session.id, { public: { b: multiByte } }), InvalidValueError, 'INVALID_VALUE')
  })

  it('property: the incremental size is exact — a session is refused exactly when its JSON text would be over the limit', async () => {
    const limit = 160
    const namespaces = ['public', 'extra', 'more']
    const key = fc.constantFrom('a', 'b', 'c', 'd', 'é', 'k"', '😀')
    const value = fc.oneof(
      fc.constant(undefined),
      fc.integer({ min: -1_000, max: 1_000 }),
      fc.string({ maxLength: 150 }),
      fc.string({ unit: fc.constantFrom('€', '\u0002', '😀', 'x'), maxLength: 60 }),
      fc.array(fc.integer(), { maxLength: 20 }),
      fc.dictionary(fc.constantFrom('x', 'y'), fc.boolean()),
    )
    const step = fc.record({ ns: fc.constantFrom(...namespaces), writes: fc.dictionary(key, value, { minKeys: 1, maxKeys: 4 }) })
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const engine = new SessionEngine({ limits: { maxSessionBytes: limit }, clock: new ManualClock(0), writableNamespaces: namespaces })
        // the reference: no size limit, so it says what the session would be
        const unlimited = new SessionEngine({ limits: { maxSessionBytes: 1e9 } })
        let { session } = await engine.create({})
        for (const { ns, writes } of steps) {
          const changes = { [ns]: writes }
          const { namespaces: wouldBe } = await unlimited.runTransform(session.namespaces, changes)
          const exact = utf8Length(wouldBe)
          const actual = await engine.patch(session.id, changes).then(
            (r) => r.session,
            (e: unknown) => e,
          )
          if (actual instanceof Error) {
            expect(actual).toBeInstanceOf(InvalidValueError)
            expect(exact).toBeGreaterThan(limit)
          } else {
            expect(exact).toBeLessThanOrEqual(limit)
            expect((actual as Session).namespaces).toEqual(wouldBe)
            session = actual as Session
          }
        }
      }),
      fcParams(60),
    )
  })
})

function utf8Length(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).length
}
