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

describe('cycles and shared sub-objects', () => {
  /** A parsed value with the object at `path` (indexes into its object members) found again under it. */
  const withLoop = fc.tuple(parsedValue, fc.array(fc.nat(), { maxLength: 6 }), fc.nat(), fc.boolean())

  it('property: a value holding one of its own ancestors (at any depth, in an object or an array) is refused; the same object twice side by side is not', () => {
    fc.assert(
      fc.property(withLoop, ([parsed, path, pick, asArray]) => {
        const root: Record<string, unknown> = { v: JSON.parse(JSON.stringify(parsed)) }
        // walk down the object members to some container, then pick one of its ancestors (or itself)
        const chain: object[] = [root]
        let at: object = root
        for (const step of path) {
          const children = Object.values(at).filter((c): c is object => typeof c === 'object' && c !== null)
          if (children.length === 0) break
          at = children[step % children.length]!
          chain.push(at)
        }
        const ancestor = chain[pick % chain.length]!
        const link = asArray ? ['x', ancestor] : { x: 1, loop: ancestor }
        if (Array.isArray(at)) at.push(link)
        else (at as Record<string, unknown>).loopHere = link
        expect(() => checkValue(root, 'v', LIMITS)).toThrow(/cyclic structure/)
        // the same sub-object under two keys is a tree as JSON sees it: accepted, counted twice
        const shared = { s: JSON.parse(JSON.stringify(parsed)) }
        const twice = { a: shared, b: [shared] }
        expect(checkValue(twice, 'v', LIMITS).size).toBe(new TextEncoder().encode(JSON.stringify(twice)).length)
      }),
      fcParams(300),
    )
  })
})
