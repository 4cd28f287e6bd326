import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeBase64url, encodeBase64url } from '../../src/util/base64url'
import { fcParams } from '../support/fc'

describe('base64url', () => {
  it('encodes like Node and round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = encodeBase64url(bytes)
        expect(text).toBe(Buffer.from(bytes).toString('base64url'))
        expect(decodeBase64url(text)).toEqual(bytes)
      }),
      fcParams(300),
    )
  })

  it('accepts only canonical encodings: whatever it decodes re-encodes to the same text', () => {
    const chars = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=. '.split(''))
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: chars, maxLength: 12 }), fc.string({ maxLength: 12 })), (text) => {
        const bytes = decodeBase64url(text)
        if (bytes !== undefined) expect(encodeBase64url(bytes)).toBe(text)
      }),
      fcParams(1000),
    )
  })

  it('refuses padding, the standard alphabet, impossible lengths and stray low bits', () => {
    expect(decodeBase64url('QQ')).toEqual(new Uint8Array([65]))
    for (const bad of ['QQ==', 'QR', 'Q', '+/8', 'ab/c', 'QUJD=', 'é', 'QUJ\u0100']) expect(decodeBase64url(bad)).toBeUndefined()
  })
})
