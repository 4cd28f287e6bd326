import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sameItems } from '../../src/util/lists'
import { fcParams } from '../support/fc'

const item = fc.oneof(fc.constantFrom('a', 'b', 0, -0, 1, NaN, null, undefined), fc.string({ maxLength: 2 }))

describe('sameItems', () => {
  it('is true exactly when both lists have the same length and each pair of items is ===', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 4 }), fc.array(item, { maxLength: 4 }), (a, b) => {
        const expected = a.length === b.length && a.every((x, i) => x === b[i])
        expect(sameItems(a, b)).toBe(expected)
        expect(sameItems(a, [...a])).toBe(!a.some((x) => Number.isNaN(x)))
      }),
      fcParams(500),
    )
  })

  it('compares items, not lists: an object item is the same only as itself', () => {
    const o = {}
    expect(sameItems([o], [o])).toBe(true)
    expect(sameItems([{}], [{}])).toBe(false)
    expect(sameItems([], [])).toBe(true)
    expect(sameItems(['a'], ['a', 'a'])).toBe(false)
  })
})
