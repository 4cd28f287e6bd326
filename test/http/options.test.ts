import { describe, expect, it } from 'vitest'
import { ConfigError, SessionEngine, createTokenSigner } from '../../src/index'
import { HANDLER_DEFAULTS, type SessionHandlerOptions, createSessionHandler } from '../../src/http/index'
import { resolveOptions } from '../../src/http/options'

const signer = createTokenSigner({ keys: ['k'.repeat(32)] })

describe('handler options', () => {
  it('defaults: VTEX wire, sessionflow_* cookies, Secure, Lax, utm capture, lazy, a tenth of the ttl, cookie hidden', () => {
    const settings = resolveOptions({ signer }, 1_800_000)
    expect(settings).toMatchObject({
      wire: 'vtex',
      sessionCookie: 'sessionflow_session',
      segmentCookie: 'sessionflow_segment',
      cookies: { path: '/', domain: undefined, secure: true, sameSite: 'Lax' },
      lazy: true,
      touchAfterMs: 180_000,
      maxBodyBytes: 65_536,
      capturedCookies: undefined,
    })
    expect([...settings.hidden]).toEqual(['cookie'])
    expect(settings.query.matches('public', 'utm_source')).toBe(true)
    expect(settings.query.matches('public', 'utmi_cp')).toBe(true)
    expect(settings.query.matches('public', 'ref')).toBe(false)
    expect(HANDLER_DEFAULTS.captureQuery).toEqual(['utm_*', 'utmi_*'])
  })

  const bad: Array<[string, unknown]> = [
    ['no options', undefined],
    ['no signer', {}],
    ['a signer without verify', { signer: { sign: () => 'x' } }],
    ['an unknown wire', { signer, wire: 'json' }],
    ['a cookie name with a space', { signer, sessionCookie: 'a b' }],
    ['a cookie name with =', { signer, segmentCookie: 'a=b' }],
    ['the same name twice', { signer, sessionCookie: 'x', segmentCookie: 'x' }],
    ['an unknown SameSite', { signer, sameSite: 'lax' }],
    ['SameSite=None without Secure', { signer, sameSite: 'None', secure: false }],
    ['a non-boolean secure', { signer, secure: 'yes' }],
    ['a path with ;', { signer, cookiePath: '/; Domain=evil.com' }],
    ['an empty domain', { signer, cookieDomain: '' }],
    ['a captureQuery that is not an array', { signer, captureQuery: 'utm_*' }],
    ['"*" in captureCookies', { signer, captureCookies: ['*'] }],
    ['a star inside a name', { signer, captureCookies: ['a*b'] }],
    ['a dotted capture name', { signer, captureQuery: ['a.b'] }],
    ['a non-boolean lazy', { signer, lazy: 1 }],
    ['a negative touchAfterMs', { signer, touchAfterMs: -1 }],
    ['an infinite touchAfterMs', { signer, touchAfterMs: Infinity }],
    ['a bad hidden namespace', { signer, hiddenNamespaces: ['a.b'] }],
    ['a zero maxBodyBytes', { signer, maxBodyBytes: 0 }],
    ['a non-function onError', { signer, onError: 'log' }],
  ]
  it.each(bad)('refuses %s with ConfigError', (_, options) => {
    expect(() => createSessionHandler(new SessionEngine(), options as SessionHandlerOptions)).toThrow(ConfigError)
  })

  it('touchAfterMs 0 renews on every read; captureCookies compile to cookie.* patterns', () => {
    const settings = resolveOptions({ signer, touchAfterMs: 0, captureCookies: ['VtexIdclientAutCookie_*', 'authToken'] }, 1000)
    expect(settings.touchAfterMs).toBe(0)
    expect(settings.capturedCookies?.matches('cookie', 'VtexIdclientAutCookie_store')).toBe(true)
    expect(settings.capturedCookies?.matches('cookie', 'authToken')).toBe(true)
    expect(settings.capturedCookies?.matches('cookie', 'authTokenX')).toBe(false)
  })
})
