import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_LIMITS, InvalidValueError } from '../../src/index'
import { readNamespaces, writeNamespaces } from '../../src/http/wire-shape'
import { fcParams } from '../support/fc'

const name = fc.stringMatching(/^[a-z][a-zA-Z0-9_]{0,10}$/).filter((n) => !['constructor', 'prototype'].includes(n))
const scalar = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null))
const namespaces = fc.dictionary(name, fc.dictionary(name, scalar, { minKeys: 1, maxKeys: 4 }), { maxKeys: 4 })

describe('wire shapes', () => {
  it('what a response writes, a request body in the same shape reads back (property)', () => {
    fc.assert(
      fc.property(namespaces, fc.constantFrom('vtex' as const, 'plain' as const), (ns, wire) => {
        const body = JSON.parse(JSON.stringify(writeNamespaces(ns, wire)))
        expect(readNamespaces(body, wire, DEFAULT_LIMITS)).toEqual(ns)
      }),
      fcParams(200),
    )
  })

  it('a body in the other shape is refused, saying so (property)', () => {
    fc.assert(
      fc.property(namespaces.filter((ns) => Object.keys(ns).length > 0), (ns) => {
        const vtex = JSON.parse(JSON.stringify(writeNamespaces(ns, 'vtex')))
        expect(() => readNamespaces(vtex, 'plain', DEFAULT_LIMITS)).toThrow(/VTEX shape/)
        // a plain body whose values are all { value } objects is the only one a VTEX endpoint can read
        expect(() => readNamespaces(ns, 'vtex', DEFAULT_LIMITS)).toThrow(InvalidValueError)
      }),
      fcParams(200),
    )
  })

  it('an empty body is no params; a non-object body is refused in both shapes', () => {
    expect(readNamespaces(undefined, 'vtex', DEFAULT_LIMITS)).toEqual({})
    for (const body of [[], 'x', 1, null]) {
      expect(() => readNamespaces(body, 'plain', DEFAULT_LIMITS)).toThrow(InvalidValueError)
      expect(() => readNamespaces(body, 'vtex', DEFAULT_LIMITS)).toThrow(InvalidValueError)
    }
  })
})
