import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidValueError } from '../../src/model/errors'
import { DEFAULT_LIMITS, jsonEqual } from '../../src/util/json'
import { namespaceKeys, namespaceWrites as appendWrites } from '../../src/writes/namespace-writes'
import type { JsonValue, Namespace, Write } from '../../src/model/session'
import { fcParams } from '../support/fc'

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e')
const value = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('x', 'y'), fc.constant({ n: 1 }), fc.constant([1, 2]))
const namespace = fc.dictionary(key, value) as fc.Arbitrary<Namespace>

/** The writes `appendWrites` appends to an empty list. */
function namespaceWrites(namespace: string, params: object, limits: typeof DEFAULT_LIMITS, ...before: [] | [Namespace | undefined]): Write[] {
  const writes: Write[] = []
  appendWrites(writes, namespace, params, limits, ...before)
  return writes
}

function apply(before: Namespace | undefined, writes: readonly Write[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { ...before }
  for (const w of writes) {
    if (w.value === undefined) delete out[w.key]
    else out[w.key] = w.value
  }
  return out
}

describe('namespaceWrites', () => {
  it('a diff turns `before` into `params`, and writes nothing that was already so', () => {
    fc.assert(
      fc.property(fc.option(namespace, { nil: undefined }), namespace, (before, after) => {
        const writes = namespaceWrites('ns', after, DEFAULT_LIMITS, before)
        expect(apply(before, writes)).toEqual(after)
        for (const w of writes) {
          expect(w.namespace).toBe('ns')
          expect(jsonEqual(before?.[w.key], w.value)).toBe(false)
        }
        expect(new Set(writes.map((w) => w.key)).size).toBe(writes.length)
      }),
      fcParams(300),
    )
  })

  it('a changes object writes every key it names (undefined deletes) and leaves the others alone', () => {
    const writes = namespaceWrites('ns', { a: 1, b: undefined }, DEFAULT_LIMITS)
    expect(writes).toEqual([
      { namespace: 'ns', key: 'a', value: 1 },
      { namespace: 'ns', key: 'b', value: undefined },
    ])
    // an unchanged value is still a write: the caller said so
    expect(namespaceWrites('ns', { a: 1 }, DEFAULT_LIMITS)).toHaveLength(1)
    // a diff against a namespace holding the same value writes nothing; a missing key is deleted
    expect(namespaceWrites('ns', { a: 1 }, DEFAULT_LIMITS, { a: 1, z: 2 })).toEqual([{ namespace: 'ns', key: 'z', value: undefined }])
  })

  it('refuses bad names, symbol keys, too many keys and accessors (without running them)', () => {
    let ran = false
    const accessor = Object.defineProperty({}, 'k', { enumerable: true, get: () => (ran = true) })
    for (const diff of [false, true]) {
      const call = (params: object) => (diff ? namespaceWrites('ns', params, DEFAULT_LIMITS, undefined) : namespaceWrites('ns', params, DEFAULT_LIMITS))
      expect(() => call({ 'bad.key': 1 })).toThrow(InvalidValueError)
      expect(() => call({ [Symbol('s')]: 1 })).toThrow(InvalidValueError)
      expect(() => call({ v: () => 1 })).toThrow(InvalidValueError)
      expect(() => call(accessor)).toThrow(/accessor/)
      const many = Object.fromEntries(Array.from({ length: DEFAULT_LIMITS.maxKeysPerNamespace + 1 }, (_, i) => [`k${i}`, i]))
      expect(() => call(many)).toThrow(/more than/)
    }
    expect(ran).toBe(false)
    expect(namespaceKeys('ns', { a: 1, b: 2 }, DEFAULT_LIMITS)).toEqual(['a', 'b'])
  })
})
