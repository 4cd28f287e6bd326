/**
 * A draft reused cycle after cycle (the engine pools them per graph) must give what a fresh one
 * gives: the compiled copiers of repeated key lists, the remembered key lists of the namespaces it
 * built, and the stale slots of earlier cycles never show. Where code cannot be compiled from
 * strings (workerd, CSP), the same results come from the generic copies.
 */
import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { JsonValue, Namespaces } from '../../src/model/session'
import { fcParams } from '../support/fc'

type Model = Record<string, Record<string, JsonValue>>

const write = fc.record({
  ns: fc.constantFrom('a', 'b', 'big'),
  key: fc.oneof(fc.integer({ min: 0, max: 6 }).map((i) => `k${i}`), fc.constantFrom('0', '7', 'x"y', 'a\\b', 'ü\u2028')),
  value: fc.option(fc.integer({ min: -2, max: 2 }), { nil: undefined }),
})

/** A base with a namespace large enough for the hash-table path. */
function start(): Namespaces {
  const big: Record<string, JsonValue> = {}
  for (let i = 0; i < 260; i++) big[`k${i}`] = i
  return Object.freeze({ a: Object.freeze({ k0: 0, k1: 1 }), big: Object.freeze(big) })
}

/**
 * The draft module, fresh, with its `Function` constructions counted (the probe for whether code
 * can be compiled is the first); `compile: false` refuses them as workerd does.
 */
async function countingDraft(compile = true): Promise<{ Draft: typeof import('../../src/core/draft').Draft; COMPILE_AFTER: number; compiled: () => number }> {
  vi.resetModules()
  let compiled = 0
  // the draft compiles through the global `Function`
  vi.stubGlobal(
    'Function',
    new Proxy(Function, {
      construct(target, args: string[]) {
        compiled++
        if (!compile) throw new EvalError('Code generation from strings disallowed for this context')
        return Reflect.construct(target, args) as object
      },
    }),
  )
  const { Draft, COMPILE_AFTER } = await import('../../src/core/draft')
  return { Draft, COMPILE_AFTER, compiled: () => compiled }
}

/** Runs `cycles` on one reused draft, each from the previous result or from the start, against a plain model. */
async function check(compile: boolean): Promise<void> {
  const { Draft, compiled } = await countingDraft(compile)
  fc.assert(
    fc.property(fc.array(fc.record({ fromStart: fc.boolean(), writes: fc.array(write, { maxLength: 12 }) }), { maxLength: 8 }), (cycles) => {
      // a key list is compiled on its second copy in a row here, so the compiled copies are exercised
      const draft = new Draft(undefined, undefined, 2)
      let current = start()
      for (const { fromStart, writes } of cycles) {
        const base = fromStart ? start() : current
        const model = structuredClone(base) as Model
        // a fresh draft sees every key list for the first time: it never takes a compiled copier
        const fresh = new Draft(base)
        draft.begin(base)
        for (const { ns, key, value } of writes) {
          draft.set(ns, key, value)
          fresh.set(ns, key, value)
          if (value === undefined) delete model[ns]?.[key]
          else (model[ns] ??= {})[key] = value
        }
        for (const ns of Object.keys(model)) if (Object.keys(model[ns]!).length === 0) delete model[ns]
        const { namespaces, patch } = draft.finish()
        const expected = fresh.finish()
        expect(namespaces).toEqual(model)
        // the same keys in the same order, and the same patch
        expect(JSON.stringify(namespaces)).toBe(JSON.stringify(expected.namespaces))
        expect(patch).toEqual(expected.patch)
        // the namespaces object itself too (copied as a literal once its key list repeats)
        expect(Object.isFrozen(namespaces)).toBe(true)
        expect(Object.getPrototypeOf(namespaces)).toBe(Object.prototype)
        for (const ns of Object.values(namespaces)) {
          expect(Object.isFrozen(ns)).toBe(true)
          expect(Object.getPrototypeOf(ns)).toBe(Object.prototype)
        }
        current = namespaces
      }
    }),
    fcParams(150),
  )
  vi.unstubAllGlobals()
  // with compilation allowed, copiers were compiled; refused, it was tried once and never again
  if (compile) expect(compiled()).toBeGreaterThan(1)
  else expect(compiled()).toBe(1)
}

/** A frozen namespaces object with one namespace `ns` of `size` params `k0`... */
function sized(size: number, value = 0): Namespaces {
  const ns: Record<string, JsonValue> = {}
  for (let i = 0; i < size; i++) ns[`k${i}`] = value
  return Object.freeze({ ns: Object.freeze(ns) })
}

describe('when key lists are compiled', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it(`compiles a key list after COMPILE_AFTER copies in a row, not before, and takes a compiled one from the second copy on`, async () => {
    const { Draft, COMPILE_AFTER, compiled } = await countingDraft()
    const draft = new Draft()
    let base = sized(10)
    const copy = (key: string, value: number) => {
      draft.begin(base)
      draft.set('ns', key, value)
      base = draft.finish().namespaces
    }
    for (let i = 1; i < COMPILE_AFTER; i++) copy('k1', i)
    // only the probe of whether code can be compiled so far
    expect(compiled()).toBe(1)
    copy('k1', -1)
    // `ns`'s key list and the namespaces object's (`['ns']`, copied as often)
    expect(compiled()).toBe(3)
    expect(base).toEqual({ ns: { ...sized(10).ns, k1: -1 } })
    // a client that changes its key list every few copies never gets one compiled
    const churn = compiled()
    for (let i = 0; i < 4 * COMPILE_AFTER; i++) copy(i % 4 === 0 ? `extra${i}` : 'k2', i)
    expect(compiled()).toBe(churn)
    // the compiled list itself is taken again from its second copy in a row
    base = sized(10)
    const back = compiled()
    copy('k3', 1)
    copy('k3', 2)
    expect(compiled()).toBe(back)
    expect(base).toEqual({ ns: { ...sized(10).ns, k3: 2 } })
  })

  it('copies a namespace of 128 params or more by a compiled literal only when the writes are most of it', async () => {
    const { Draft, COMPILE_AFTER, compiled } = await countingDraft()
    const draft = new Draft()
    let base = sized(300)
    const start = compiled()
    for (let i = 0; i < 2 * COMPILE_AFTER; i++) {
      draft.begin(base)
      draft.set('ns', 'k7', i)
      base = draft.finish().namespaces
    }
    // one param of 300 per copy: the hash-table copy, never a compiled one (the namespaces object's list may be)
    expect(compiled() - start).toBeLessThanOrEqual(2)
    expect(base.ns!['k7']).toBe(2 * COMPILE_AFTER - 1)
    const mostly = compiled()
    for (let i = 0; i < 2 * COMPILE_AFTER; i++) {
      draft.begin(base)
      for (let k = 0; k < 200; k++) draft.set('ns', `k${k}`, i)
      base = draft.finish().namespaces
    }
    expect(compiled()).toBe(mostly + 1)
    expect(Object.keys(base.ns!)).toEqual(Object.keys(sized(300).ns!))
    expect(base.ns!['k150']).toBe(2 * COMPILE_AFTER - 1)
    expect(base.ns!['k250']).toBe(0)
    // after a cycle that changed 200 params, one-param copies of another 300-param list still take the hash table
    const other: Record<string, JsonValue> = {}
    for (let i = 0; i < 300; i++) other[`j${i}`] = i
    base = Object.freeze({ ns: Object.freeze(other) })
    const after = compiled()
    for (let i = 0; i < 2 * COMPILE_AFTER; i++) {
      draft.begin(base)
      draft.set('ns', 'j7', -i)
      base = draft.finish().namespaces
    }
    expect(compiled()).toBe(after)
    expect(base.ns!['j7']).toBe(-(2 * COMPILE_AFTER - 1))
  })
})

describe('Draft reused across cycles', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('gives what a plain model gives, with compiled copiers', async () => {
    await check(true)
  })

  it('gives the same where code cannot be compiled from strings', async () => {
    await check(false)
  })
})
