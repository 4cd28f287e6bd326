/**
 * The draft's fast paths (overlay writes, namespaces built once at the end, large namespaces
 * copied as hash tables) must give exactly what a plain model gives: same namespaces, a patch
 * that turns the base into them, frozen results, the base untouched.
 */
import fc from 'fast-check'
import jsonpatch from 'fast-json-patch'
import { describe, expect, it } from 'vitest'
import { Draft } from '../../src/core/draft'
import type { JsonValue, Namespaces } from '../../src/model/session'
import { fcParams } from '../support/fc'

type Model = Record<string, Record<string, JsonValue>>

function base(sizes: Record<string, number>): Namespaces {
  const out: Model = {}
  for (const [ns, n] of Object.entries(sizes)) {
    out[ns] = {}
    for (let i = 0; i < n; i++) out[ns]![`k${i}`] = i
    Object.freeze(out[ns])
  }
  return Object.freeze(out)
}

const write = fc.record({
  ns: fc.constantFrom('big', 'small', 'fresh'),
  key: fc.oneof(fc.integer({ min: 0, max: 260 }).map((i) => `k${i}`), fc.constantFrom('x', 'y')),
  value: fc.option(fc.integer({ min: -3, max: 3 }), { nil: undefined }),
})

describe('Draft', () => {
  it('matches a plain model on small, large (hash-table) and new namespaces', () => {
    fc.assert(
      fc.property(fc.array(write, { maxLength: 40 }), fc.boolean(), (writes, emptyBig) => {
        const start = base({ big: emptyBig ? 3 : 250, small: 5 })
        const snapshot = JSON.stringify(start)
        const draft = new Draft(start)
        const model = structuredClone(start) as Model
        for (const { ns, key, value } of writes) {
          draft.set(ns, key, value)
          if (value === undefined) delete model[ns]?.[key]
          else (model[ns] ??= {})[key] = value
          expect(draft.get(ns, key)).toEqual(value === undefined ? undefined : value)
        }
        for (const ns of Object.keys(model)) if (Object.keys(model[ns]!).length === 0) delete model[ns]
        const { namespaces, patch, namespaceCount } = draft.finish()
        expect(namespaces).toEqual(model)
        // the count the namespaces limit is checked against, without listing the keys again
        expect(namespaceCount).toBe(namespaces === start ? 0 : Object.keys(namespaces).length)
        expect(JSON.stringify(start)).toBe(snapshot)
        expect(Object.isFrozen(namespaces)).toBe(true)
        for (const ns of Object.values(namespaces)) expect(Object.isFrozen(ns)).toBe(true)
        const applied = jsonpatch.applyPatch(structuredClone(start) as object, structuredClone(patch) as never).newDocument
        expect(applied).toEqual(model)
        // untouched or unchanged namespaces keep their identity
        for (const ns of Object.keys(namespaces)) {
          if (!patch.some((op) => op.path === `/${ns}` || op.path.startsWith(`/${ns}/`))) expect(namespaces[ns]).toBe(start[ns])
        }
      }),
      fcParams(150),
    )
  })

  it('deleting every param of a large namespace removes it with one op', () => {
    const start = base({ big: 300 })
    const draft = new Draft(start)
    for (let i = 0; i < 300; i++) draft.set('big', `k${i}`, undefined)
    const { namespaces, patch, namespaceCount } = draft.finish()
    expect(namespaces).toEqual({})
    expect(namespaceCount).toBe(0)
    expect(patch).toEqual([{ op: 'remove', path: '/big' }])
  })
})
