/**
 * RFC 6902 as the engine applies it: the public conformance suite (every enabled case, the
 * document placed under one param), the attack cases, and the cost of a patch as a count of
 * elementary steps (never wall time).
 */
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, InvalidValueError, ManualClock, MemoryStore, SessionEngine, type Session, jsonPatch } from '../../src/index'
import { type CheckedOp, applyJsonPatch, checkJsonPatch } from '../../src/writes/json-patch'
import { expectRejects } from '../support/errors'
import spec from './fixtures/json-patch-tests/spec_tests.json'
import suite from './fixtures/json-patch-tests/tests.json'

interface Case {
  readonly comment?: string
  readonly doc?: unknown
  readonly patch?: Record<string, unknown>[]
  readonly expected?: unknown
  readonly error?: string
  readonly disabled?: boolean
}

const PREFIX = '/public/doc'

/**
 * The case's patch with every pointer under `/public/doc`. A string that is not a pointer (it does
 * not start with "/" and is not "") is left as it is: prefixing would make it a valid one.
 */
function prefixed(patch: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return patch.map((op) => {
    const out: Record<string, unknown> = { ...op }
    for (const field of ['path', 'from'] as const) {
      const pointer = op[field]
      if (typeof pointer === 'string' && (pointer === '' || pointer.startsWith('/'))) out[field] = PREFIX + pointer
    }
    return out
  })
}

async function setup(doc: unknown): Promise<{ engine: SessionEngine; store: MemoryStore; session: Session }> {
  const store = new MemoryStore()
  const engine = new SessionEngine({ store, clock: new ManualClock(0) })
  const { session } = await engine.create({ public: { doc: doc as never, other: 'kept' } })
  return { engine, store, session }
}

const cases: Array<[string, Case]> = [
  ...(suite as Case[]).map((c, i): [string, Case] => [`tests.json #${i}`, c]),
  ...(spec as Case[]).map((c, i): [string, Case] => [`spec_tests.json #${i}`, c]),
].filter(([, c]) => c.doc !== undefined && c.patch !== undefined && c.disabled !== true)

describe('json-patch-tests conformance suite, under one param', () => {
  it('runs every enabled case (108)', () => {
    expect(cases).toHaveLength(108)
  })

  for (const [name, c] of cases) {
    const title = `${name}: ${c.comment ?? JSON.stringify(c.patch).slice(0, 80)}${c.error === undefined ? '' : ' (refused)'}`
    it(title, async () => {
      const { engine, store, session } = await setup(c.doc)
      const call = engine.patch(session.id, jsonPatch(prefixed(c.patch!)))
      if (c.error !== undefined) {
        await expectRejects(call, InvalidValueError, 'INVALID_VALUE')
        expect(store.get(session.id)).toBe(session)
        return
      }
      const { session: after } = await call
      expect(after.namespaces.public?.other).toBe('kept')
      if ('expected' in c) expect(after.namespaces.public?.doc).toEqual(c.expected)
    })
  }
})

describe('RFC 6902 pointers, to the letter', () => {
  const refused: Array<[string, Record<string, unknown>[]]> = [
    ['an index of 2^32 (which once wrapped to 0)', [{ op: 'add', path: '/public/arr/4294967296', value: 9 }]],
    ['an index past the end', [{ op: 'add', path: '/public/arr/4', value: 9 }]],
    ['a leading zero', [{ op: 'replace', path: '/public/arr/01', value: 9 }]],
    ['a double zero', [{ op: 'remove', path: '/public/arr/00' }]],
    ['the empty token as an index', [{ op: 'add', path: '/public/arr/', value: 9 }]],
    ['a negative index', [{ op: 'remove', path: '/public/arr/-1' }]],
    ['"-" where an element must exist (replace)', [{ op: 'replace', path: '/public/arr/-', value: 9 }]],
    ['"-" where an element must exist (remove)', [{ op: 'remove', path: '/public/arr/-' }]],
    ['"-" as from', [{ op: 'copy', from: '/public/arr/-', path: '/public/y' }]],
    ['a test on a wrapped index, then a write', [{ op: 'test', path: '/public/arr/4294967296', value: 1 }, { op: 'add', path: '/public/z', value: 1 }]],
    ['copy from an array length', [{ op: 'copy', from: '/public/arr/length', path: '/public/y' }]],
    ['replace an inherited member on a missing param', [{ op: 'replace', path: '/public/toString', value: 1 }]],
    ['remove an inherited member', [{ op: 'remove', path: '/public/hasOwnProperty' }]],
    ['test an inherited member', [{ op: 'test', path: '/public/obj/valueOf', value: {} }]],
    ['move into itself', [{ op: 'move', from: '/public/obj', path: '/public/obj/inner' }]],
    ['a path through a scalar', [{ op: 'add', path: '/public/n/x', value: 1 }]],
    ['a path through a missing member', [{ op: 'add', path: '/public/missing/x', value: 1 }]],
    ['an index with a plus sign', [{ op: 'remove', path: '/public/arr/+1' }]],
    ['an index in exponent form', [{ op: 'remove', path: '/public/arr/1e0' }]],
  ]
  for (const [what, ops] of refused) {
    it(`refused, nothing saved: ${what}`, async () => {
      const { engine, store, session } = await setup(null)
      const { session: base } = await engine.patch(session.id, { public: { arr: [1, 2, 3], obj: { inner: 1 }, n: 5 } })
      await expectRejects(engine.patch(base.id, jsonPatch(ops)), InvalidValueError, 'INVALID_VALUE')
      expect(store.get(base.id)).toBe(base)
      expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'x')).toBe(false)
    })
  }

  it('"-" appends; index == length appends; members named like Object.prototype ones are ordinary own members', async () => {
    const { engine, session } = await setup(null)
    const { session: after } = await engine.patch(session.id, jsonPatch([
      { op: 'add', path: '/public/arr', value: [1] },
      { op: 'add', path: '/public/arr/-', value: 2 },
      { op: 'add', path: '/public/arr/2', value: 3 },
      { op: 'add', path: '/public/toString', value: 'own' },
      { op: 'add', path: '/public/obj', value: { '-': 1 } },
      { op: 'replace', path: '/public/obj/-', value: 2 },
      { op: 'move', from: '/public/toString', path: '/public/toString' },
    ]))
    expect(after.namespaces.public).toEqual({ doc: null, other: 'kept', arr: [1, 2, 3], toString: 'own', obj: { '-': 2 } })
  })

  it('a copy is independent of its source: a later write through one does not show through the other', async () => {
    const { engine, session } = await setup({ a: { list: [1] } })
    const { session: after } = await engine.patch(session.id, jsonPatch([
      { op: 'add', path: '/public/doc/a/list/-', value: 2 }, // /public/doc/a is now this patch's copy
      { op: 'copy', from: '/public/doc/a', path: '/public/doc/b' },
      { op: 'add', path: '/public/doc/b/list/-', value: 3 },
      { op: 'add', path: '/public/doc/a/x', value: true },
    ]))
    expect(after.namespaces.public?.doc).toEqual({ a: { list: [1, 2], x: true }, b: { list: [1, 2, 3] } })
    expect(session.namespaces.public?.doc).toEqual({ a: { list: [1] } })
  })

  it('a patch re-applied (as after a conflict) gives the same result: op values are never written into', () => {
    const ops = checkJsonPatch(
      [
        { op: 'add', path: '/public/v', value: { list: [] } },
        { op: 'add', path: '/public/v/list/-', value: 1 },
      ],
      new Set(['public']),
      DEFAULT_LIMITS,
    )
    const first = applyJsonPatch(ops, { public: {} }, 1e6).document
    const second = applyJsonPatch(ops, { public: {} }, 1e6).document
    expect(first).toEqual({ public: { v: { list: [1] } } })
    expect(second).toEqual(first)
    expect(ops[0]!.value).toEqual({ list: [] })
  })
})

describe('cost of a patch (elementary steps, not time)', () => {
  /** A session value of about 60 KB: 2,000 objects of about 30 bytes. */
  const big = Object.freeze(Array.from({ length: 2_000 }, (_, i) => Object.freeze({ id: i, name: `item-${i}` })))
  const namespaces = Object.freeze({ public: Object.freeze({ big, a: 1 }) })
  const check = (ops: unknown[]): CheckedOp[] => checkJsonPatch(ops, new Set(['public']), DEFAULT_LIMITS)

  it('1,000 self-moves on a 60 KB session cost about 1,000 ops, not 1,000 x the session', () => {
    const one = applyJsonPatch(check([{ op: 'replace', path: '/public/a', value: 2 }]), namespaces, 1e6).work
    const moves = applyJsonPatch(check(Array.from({ length: 1_000 }, () => ({ op: 'move', from: '/public/a', path: '/public/a' }))), namespaces, 1e6).work
    const copies = applyJsonPatch(
      check(Array.from({ length: 500 }, (_, i) => [{ op: 'copy', from: '/public/big', path: '/public/c' }, { op: 'remove', path: '/public/c' }][i % 2])),
      namespaces,
      1e6,
    ).work
    const swaps = applyJsonPatch(
      check(Array.from({ length: 1_000 }, (_, i) => (i % 2 ? { op: 'move', from: '/public/b', path: '/public/a' } : { op: 'move', from: '/public/a', path: '/public/b' }))),
      namespaces,
      1e6,
    ).work
    // the whole session is about 8,000 steps to walk; a per-op clone would make these about 8,000,000
    expect(moves).toBeLessThan(one + 10 * 1_000)
    expect(swaps).toBeLessThan(one + 10 * 1_000)
    expect(copies).toBeLessThan(one + 10 * 1_000 + 10_000)
    expect(moves / one).toBeLessThan(1_000 * 10)
  })

  it('an element appended to a big array copies that array once per patch, not once per op', () => {
    const appends = applyJsonPatch(check(Array.from({ length: 1_000 }, (_, i) => ({ op: 'add', path: '/public/big/-', value: i }))), namespaces, 1e6).work
    expect(appends).toBeLessThan(2_000 + 10 * 1_000 + 10_000)
  })
})
