import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { JsonValue } from '../../src/index'
import { jsonEqual } from '../../src/util/json'
import { jsonHash } from '../../src/util/json-hash'
import { fcParams } from '../support/fc'

/** The same value with every object's keys in reverse order. */
function reordered(value: JsonValue): JsonValue {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map(reordered)
  const object = value as { readonly [key: string]: JsonValue }
  return Object.fromEntries(Object.keys(object).reverse().map((k) => [k, reordered(object[k]!)]))
}

const json = fc.jsonValue() as fc.Arbitrary<JsonValue>

describe('jsonHash', () => {
  it('equal values hash alike, whatever the key order (property)', () => {
    fc.assert(
      fc.property(json, (value) => {
        const copy = reordered(value)
        expect(jsonEqual(value, copy)).toBe(true)
        expect(jsonHash(copy)).toBe(jsonHash(value))
        expect(jsonHash(structuredClone(value))).toBe(jsonHash(value))
      }),
      fcParams(300),
    )
  })

  it('0 and -0 (equal under jsonEqual) hash alike; it is a 32-bit integer', () => {
    expect(jsonHash(-0)).toBe(jsonHash(0))
    const samples: Array<JsonValue | undefined> = [0, 1.5, -(2 ** 40), 'x', '', true, false, null, undefined, [], {}, [1, [2]], { a: { b: [1] } }]
    for (const v of samples) {
      expect(Number.isInteger(jsonHash(v))).toBe(true)
      expect(jsonHash(v) | 0).toBe(jsonHash(v))
    }
  })

  it('tells apart the values a loop usually steps through', () => {
    const values: Array<JsonValue | undefined> = [undefined, null, true, false, 0, 1, 2, -1, 0.5, '', '0', '1', 'a', [], [0], [1], [0, 1], [1, 0], {}, { a: 0 }, { a: 1 }, { b: 0 }]
    const hashes = new Set(values.map((v) => jsonHash(v)))
    expect(hashes.size).toBe(values.length)
    const counters = new Set(Array.from({ length: 10_000 }, (_, i) => jsonHash(i)))
    expect(counters.size).toBe(10_000)
  })
})
