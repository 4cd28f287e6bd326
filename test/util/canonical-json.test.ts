import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { JsonValue } from '../../src/index'
import { canonicalJson } from '../../src/util/canonical-json'
import { fcParams } from '../support/fc'

/** The same value with the keys of every object in reverse order. */
function reversed(value: JsonValue): JsonValue {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map(reversed)
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)]))
}

describe('canonicalJson', () => {
  it('is JSON of the same value, and the same text whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = value as JsonValue
        const text = canonicalJson(json)
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(json)))
        expect(canonicalJson(reversed(json))).toBe(text)
      }),
      fcParams(300),
    )
  })

  it('different values have different texts', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const same = JSON.stringify(JSON.parse(canonicalJson(a as JsonValue))) === JSON.stringify(JSON.parse(canonicalJson(b as JsonValue)))
        expect(canonicalJson(a as JsonValue) === canonicalJson(b as JsonValue)).toBe(same)
      }),
      fcParams(300),
    )
  })

  it('sorts keys, escapes them, keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: null, c: 'x' }], '"q"': true })).toBe('{"\\"q\\"":true,"a":[2,{"c":"x","d":null}],"b":1}')
  })
})
