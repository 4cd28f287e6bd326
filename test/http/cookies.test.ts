import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type CookieSettings, cookieNameProblem, parseCookies, serializeCookie } from '../../src/http/cookies'
import { fcParams } from '../support/fc'

const settings: CookieSettings = { path: '/', domain: undefined, secure: true, sameSite: 'Lax' }
const tokenChar = fc.constantFrom(...'!#$%&\'*+-.^_`|~0123456789abcXYZ'.split(''))
const name = fc.string({ unit: tokenChar, minLength: 1, maxLength: 20 })
// cookie-octet (RFC 6265): printable ASCII but space, ", comma, ; and backslash
const octet = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)).filter((c) => !'",;\\'.includes(c))
const value = fc.string({ unit: octet, maxLength: 60 })

describe('parseCookies', () => {
  it('reads name=value pairs; the first of two same-named cookies wins; malformed pairs are skipped', () => {
    const cookies = parseCookies(' a=1; b = two ;a=3; novalue; =x; c=; d="quoted"; e=x=y')
    expect([...cookies]).toEqual([
      ['a', '1'],
      ['b', 'two'],
      ['c', ''],
      ['d', 'quoted'],
      ['e', 'x=y'],
    ])
    expect(parseCookies(null).size).toBe(0)
  })

  it('ignores a header too long to come from a browser', () => {
    expect(parseCookies(`a=1; b=${'x'.repeat(40_000)}`).size).toBe(0)
  })

  it('round-trips any cookie a Set-Cookie line carries, among others (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value), { selector: ([n]) => n, minLength: 1, maxLength: 8 }), (pairs) => {
        const lines = pairs.map(([n, v]) => serializeCookie(n, v, 60, settings, true))
        // what a browser sends back: the name=value part of each line
        const header = lines.map((line) => line.split(';')[0]).join('; ')
        const parsed = parseCookies(header)
        for (const [n, v] of pairs) {
          const quoted = v.length >= 2 && v.startsWith('"') && v.endsWith('"')
          expect(parsed.get(n)).toBe(quoted ? v.slice(1, -1) : v)
        }
      }),
      fcParams(200),
    )
  })
})

describe('serializeCookie', () => {
  it('writes the attributes in a fixed order; Max-Age rounds up and never goes below 0', () => {
    expect(serializeCookie('s', 'v', 1799.2, settings, true)).toBe('s=v; Max-Age=1800; Path=/; Secure; HttpOnly; SameSite=Lax')
    expect(serializeCookie('s', '', -5, { path: '/x', domain: 'example.com', secure: false, sameSite: 'Strict' }, false)).toBe(
      's=; Max-Age=0; Path=/x; Domain=example.com; SameSite=Strict',
    )
  })
})

describe('cookieNameProblem', () => {
  it('accepts RFC 6265 tokens only', () => {
    for (const ok of ['sessionflow_session', 'vtex_session', 'a.b', "x!#$%&'*+-.^_`|~"]) expect(cookieNameProblem(ok), ok).toBeUndefined()
    for (const bad of ['', 'a b', 'a;b', 'a=b', 'a,b', 'é', '(x)', 42, undefined]) expect(cookieNameProblem(bad), String(bad)).toBeDefined()
  })
})
