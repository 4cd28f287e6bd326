import { describe, expect, it } from 'vitest'
import { createTokenSigner } from '../../src/index'
import { capturedOnCreate, cookieChanges } from '../../src/http/capture'
import { resolveOptions } from '../../src/http/options'

const signer = createTokenSigner({ keys: ['k'.repeat(32)] })
const settings = resolveOptions({ signer, captureCookies: ['auth_*', 'login'] }, 60_000)
const cookies = (pairs: Record<string, string>) => new Map(Object.entries(pairs))

describe('capture', () => {
  it('copies utm_* query params (first occurrence) into public and captured cookies into cookie; nothing else', () => {
    const url = new URL('http://x/api/sessions?utm_source=a&utm_source=b&utmi_cp=c&ref=d&utm_.x=e&utm_%2A=f')
    expect(capturedOnCreate(settings, url, cookies({ auth_a: '1', login: '2', loginX: '3', 'auth_.b': '4', other: '5' }))).toEqual({
      public: { utm_source: 'a', utmi_cp: 'c' },
      cookie: { auth_a: '1', login: '2' },
    })
    expect(capturedOnCreate(settings, new URL('http://x/'), cookies({}))).toEqual({})
  })

  it('cookie changes: the request values, and a deletion for each captured cookie the request no longer carries', () => {
    expect(cookieChanges(settings, cookies({ auth_a: 'new', other: 'x' }), { auth_a: 'old', auth_b: 'gone', login: 'gone' })).toEqual({
      auth_a: 'new',
      auth_b: undefined,
      login: undefined,
    })
    expect(cookieChanges(settings, cookies({}), undefined)).toBeUndefined()
    expect(cookieChanges(resolveOptions({ signer }, 60_000), cookies({ auth_a: '1' }), { auth_a: '1' })).toBeUndefined()
  })
})
