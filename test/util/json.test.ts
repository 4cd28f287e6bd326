import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, InvalidValueError, type JsonValue } from '../../src/index'
import { checkValue, freezeJson, sizeOf } from '../../src/util/json'
import { fcParams } from '../support/fc'

const LIMITS = { ...DEFAULT_LIMITS, maxSessionBytes: 1e9 }
/** JSON text as a store keeps it (no reserved names, which no session holds). */
const parsedValue = fc
  .jsonValue({ maxDepth: 6 })
  .map((v) => JSON.parse(JSON.stringify(v).replace(/"(__proto__|constructor|prototype)":/g, '"_$1":')) as JsonValue)

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen)
}

describe('freezeJson (the in-place form of the one JSON check)', () => {
  it('property: freezes a parsed value where it is and measures it as checkValue does (the UTF-8 size of its JSON text)', () => {
    fc.assert(
      fc.property(parsedValue, (parsed) => {
        const holder = { v: parsed }
        const size = freezeJson(holder, 0, LIMITS)
        expect(holder.v).toBe(parsed)
        expect(isDeepFrozen(holder)).toBe(true)
        expect(size).toBe(new TextEncoder().encode(JSON.stringify(holder)).length)
        expect(size).toBe(sizeOf(holder as JsonValue))
        expect(checkValue(holder, 'v', LIMITS).size).toBe(size)
      }),
      fcParams(200),
    )
  })

  it('refuses what checkValue refuses, with the same typed error, and never copies', () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    let deep: unknown = 1
    for (let i = 0; i < 50; i++) deep = [deep]
    for (const bad of [{ a: () => 1 }, { a: Number.NaN }, { a: new Date(0) }, { a: [1, , 3] }, cyclic, { a: deep }, JSON.parse('{"__proto__": 1}')]) {
      expect(() => freezeJson(bad as object, 0, LIMITS)).toThrow(InvalidValueError)
      expect(() => checkValue(bad, 'v', LIMITS)).toThrow(InvalidValueError)
    }
    // a value already frozen by its holder is walked, not written to
    const frozen = Object.freeze({ a: Object.freeze([1, { b: 2 }]) })
    expect(freezeJson(frozen, 0, LIMITS)).toBe(JSON.stringify(frozen).length)
    expect(isDeepFrozen(frozen)).toBe(true)
  })
})

describe('sizeOf of numbers', () => {
  const powers = Array.from({ length: 17 }, (_, p) => 10 ** p).flatMap((b) => [b - 1, b, b + 1])
  const integer = fc.oneof(fc.maxSafeInteger(), fc.constantFrom(...powers, ...powers.map((n) => -n), Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, -0))

  it('property: an integer measures the length of its JSON text, at every digit count and sign', () => {
    fc.assert(
      fc.property(integer, (n) => {
        expect(sizeOf(n)).toBe(JSON.stringify(n).length)
      }),
      fcParams(500),
    )
  })

  it('property: so does any other finite number', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        expect(sizeOf(n)).toBe(JSON.stringify(n).length)
      }),
      fcParams(300),
    )
  })
})
