import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidValueError, type JsonValue } from '../../src/index'
import { fromVtexNamespaces, toVtexNamespaces } from '../../src/vtex/wire'
import { fcParams } from '../support/fc'

const name = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_-]{0,11}$/)
// values as JSON carries them; the reserved names are refused anywhere in a session, so none is generated
const value = fc
  .jsonValue({ maxDepth: 3 })
  .map((v) => JSON.parse(JSON.stringify(v)) as JsonValue)
  .filter((v) => !/"(__proto__|constructor|prototype)":/.test(JSON.stringify(v)))
const namespaces = fc.dictionary(name, fc.dictionary(name, value))

describe('VTEX wire shape', () => {
  it('round-trips any namespaces: from(to(x)) equals x, and to() wraps every param as { value }', () => {
    fc.assert(
      fc.property(namespaces, (ns) => {
        const wire = toVtexNamespaces(ns)
        for (const [n, params] of Object.entries(wire)) {
          for (const [k, p] of Object.entries(params)) expect(p).toEqual({ value: ns[n]![k] })
        }
        expect(fromVtexNamespaces(JSON.parse(JSON.stringify(wire)))).toEqual(ns)
      }),
      fcParams(200),
    )
  })

  it.each([
    ['a plain body', { public: { country: 'BR' } }],
    ['extra fields beside value', { public: { country: { value: 'BR', x: 1 } } }],
    ['an empty wrapper', { public: { country: {} } }],
    ['a namespace that is not an object', { public: [] }],
    ['a reserved key', JSON.parse('{"public":{"__proto__":{"value":1}}}')],
    ['a non-JSON value', { public: { n: { value: Number.NaN } } }],
    ['not an object', 'public'],
  ])('refuses %s with InvalidValueError', (_, body) => {
    expect(() => fromVtexNamespaces(body)).toThrow(InvalidValueError)
  })

  it('says which shape it expected when given a plain body', () => {
    expect(() => fromVtexNamespaces({ public: { country: 'BR' } })).toThrow(/public\.country: expected \{ "value": \.\.\. \}/)
  })
})

describe('VTEX wire shape, worst values', () => {
  it('refuses any param that is not exactly { value } (property)', () => {
    const notWrapped = fc.oneof(
      // a bare value, unless it happens to be exactly { value }
      value.filter((v) => !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).join() === 'value')),
      fc.dictionary(name.filter((k) => k !== 'value'), value, { minKeys: 1 }),
      fc.record({ value, extra: value }),
    )
    fc.assert(
      fc.property(name, name, notWrapped, (ns, key, bad) => {
        expect(() => fromVtexNamespaces({ [ns]: { [key]: bad } })).toThrow(InvalidValueError)
      }),
      fcParams(200),
    )
  })

  it('refuses a value over the limits, and a proxy whose traps throw, with InvalidValueError', () => {
    expect(() => fromVtexNamespaces({ p: { k: { value: 'x'.repeat(20_000) } } })).toThrow(InvalidValueError)
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('trap') } })
    expect(() => fromVtexNamespaces({ p: hostile })).toThrow(InvalidValueError)
  })
})
