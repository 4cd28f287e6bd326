import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type App, defineApp } from '../../src/index'
import { buildGraph } from '../../src/core/graph'
import { fcParams } from '../support/fc'

const noop = () => undefined

describe('the monitor index', () => {
  it('answers exact names, patterns of the namespace, and both at once, ascending and without repeats', () => {
    const apps = [
      defineApp({ name: 'exact', input: { cookie: ['auth_a'] }, transform: noop }),
      defineApp({ name: 'auth', input: { cookie: ['auth_*'] }, transform: noop }),
      defineApp({ name: 'all', input: { cookie: ['*'] }, transform: noop }),
      defineApp({ name: 'both', input: { cookie: ['auth_a', 'auth_*', 'au*'] }, transform: noop }),
      defineApp({ name: 'other', input: { public: ['auth_a'] }, transform: noop }),
    ]
    const { monitors } = buildGraph(apps)
    expect(monitors.get('cookie.auth_a')).toEqual([0, 1, 2, 3])
    expect(monitors.get('cookie.auth_b')).toEqual([1, 2, 3])
    expect(monitors.get('cookie.session')).toEqual([2])
    expect(monitors.get('public.auth_a')).toEqual([4])
    expect(monitors.get('public.auth_b')).toBeUndefined()
    // asked twice (cached), the same answer
    expect(monitors.get('cookie.auth_b')).toEqual([1, 2, 3])
    expect(monitors.get('cookie.auth_a')).toEqual([0, 1, 2, 3])
  })

  it('a graph without patterns indexes exact names only', () => {
    const { monitors } = buildGraph([defineApp({ name: 'a', input: { p: ['x'] }, transform: noop })])
    expect(monitors.get('p.x')).toEqual([0])
    expect(monitors.get('p.xy')).toBeUndefined()
  })

  it('stays right past its cache bound (client-chosen names cannot grow it without end)', () => {
    const { monitors } = buildGraph([defineApp({ name: 'a', input: { c: ['k_*'] }, transform: noop })])
    for (let i = 0; i < 10_000; i++) expect(monitors.get(`c.k_${i}`)).toEqual([0])
    expect(monitors.get('c.other')).toBeUndefined()
  })

  it('equals a brute-force scan of every declaration, for any apps and params (property)', () => {
    const key = fc.constantFrom('a', 'ab', 'abc', 'b', 'ba', 'x')
    const declared = fc.oneof(key, key.map((k) => `${k}*`), fc.constant('*'))
    const appSpec = fc.dictionary(fc.constantFrom('n', 'm'), fc.uniqueArray(declared, { maxLength: 4 }))
    fc.assert(
      fc.property(fc.array(appSpec, { maxLength: 6 }), fc.array(fc.tuple(fc.constantFrom('n', 'm', 'o'), key), { maxLength: 10 }), (specs, params) => {
        const apps: App[] = specs.map((input, i) => defineApp({ name: `a${i}`, input, transform: noop }))
        const { monitors } = buildGraph(apps)
        for (const [ns, k] of [...params, ...params]) {
          const expected = specs.flatMap((input, i) =>
            (input[ns] ?? []).some((d) => (d.endsWith('*') ? k.startsWith(d.slice(0, -1)) : d === k)) ? [i] : [],
          )
          expect(monitors.get(`${ns}.${k}`) ?? []).toEqual(expected)
        }
      }),
      fcParams(300),
    )
  })
})
