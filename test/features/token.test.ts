import { createHmac } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigError, InvalidValueError, MIN_KEY_BYTES, createTokenSigner } from '../../src/index'
import { fcParams } from '../support/fc'

const KEY_A = 'a'.repeat(16) + '-first-signing-key-0001'
const KEY_B = new Uint8Array(32).map((_, i) => (i * 37 + 11) % 256)
const KEY_C = 'c'.repeat(40)

const idChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.:'.split(''))
const sessionIds = fc.string({ unit: idChar, minLength: 1, maxLength: 128 })
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

describe('createTokenSigner', () => {
  it('verifies what it signs, for any valid session id', async () => {
    const signer = createTokenSigner({ keys: [KEY_A] })
    await fc.assert(
      fc.asyncProperty(sessionIds, async (id) => {
        const token = await signer.sign(id)
        expect(token).toMatch(/\.[A-Za-z0-9_-]{43}$/)
        expect(token.startsWith(`${id}.`)).toBe(true)
        expect(await signer.verify(token)).toBe(id)
      }),
      fcParams(100),
    )
  })

  it('is HMAC-SHA256 of a domain-separated message (interoperable with any HMAC implementation)', async () => {
    const token = await createTokenSigner({ keys: [KEY_A] }).sign('abc')
    const mac = createHmac('sha256', KEY_A).update('sessionflow/session-token/v1:abc').digest('base64url')
    expect(token).toBe(`abc.${mac}`)
  })

  it('refuses every single-character change, truncation and extension of a token', async () => {
    const signer = createTokenSigner({ keys: [KEY_A] })
    await fc.assert(
      fc.asyncProperty(
        sessionIds,
        fc.nat(),
        fc.string({ minLength: 1, maxLength: 1 }),
        fc.constantFrom('replace', 'truncate', 'extend', 'delete'),
        async (id, at, char, how) => {
          const token = await signer.sign(id)
          const i = at % token.length
          const mutated =
            how === 'replace'
              ? token.slice(0, i) + char + token.slice(i + 1)
              : how === 'truncate'
                ? token.slice(0, i)
                : how === 'extend'
                  ? token.slice(0, i) + char + token.slice(i)
                  : token.slice(0, i) + token.slice(i + 1)
          fc.pre(mutated !== token)
          expect(await signer.verify(mutated)).toBeNull()
        },
      ),
      fcParams(300),
    )
  })

  it('refuses re-encoded signatures: padding, standard base64, non-canonical last character', async () => {
    const signer = createTokenSigner({ keys: [KEY_A] })
    const token = await signer.sign('session-1')
    const [id, mac] = [token.slice(0, token.lastIndexOf('.')), token.slice(token.lastIndexOf('.') + 1)]
    const bytes = Buffer.from(mac!, 'base64url')
    const lastValue = B64URL.indexOf(mac!.at(-1)!)
    const variants = [
      `${id}.${mac}=`,
      `${id}.${bytes.toString('base64')}`,
      `${id}.${mac!.slice(0, -1)}${B64URL[lastValue ^ 1]}`, // same bytes for a lenient decoder: low bits are unused
      `${id}.${bytes.toString('hex')}`,
      `${id}.${mac}`.replace(/[A-Za-z]/, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())),
      ` ${token}`,
      `${token} `,
      encodeURIComponent(token).replace(/\./g, '%2E'),
    ]
    for (const variant of variants) {
      expect(variant).not.toBe(token)
      expect(await signer.verify(variant)).toBeNull()
    }
  })

  it('never throws and gives null for garbage of any type', async () => {
    const signer = createTokenSigner({ keys: [KEY_A, KEY_B] })
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 200 }), fc.anything()), async (garbage) => {
        expect(await signer.verify(garbage)).toBeNull()
      }),
      fcParams(300),
    )
    for (const garbage of ['', '.', 'a.', `.${'A'.repeat(43)}`, `${'x'.repeat(129)}.${'A'.repeat(43)}`, `a/b.${'A'.repeat(43)}`]) {
      expect(await signer.verify(garbage)).toBeNull()
    }
  })

  it('binds the signature to the id: a valid signature moved to another id is refused', async () => {
    const signer = createTokenSigner({ keys: [KEY_A] })
    await fc.assert(
      fc.asyncProperty(sessionIds, sessionIds, async (a, b) => {
        fc.pre(a !== b)
        const tokenA = await signer.sign(a)
        expect(await signer.verify(`${b}${tokenA.slice(a.length)}`)).toBeNull()
      }),
      fcParams(100),
    )
  })

  it('rotates keys: the first key signs, every key verifies, dropped keys stop verifying', async () => {
    const oldSigner = createTokenSigner({ keys: [KEY_B] })
    const rotated = createTokenSigner({ keys: [KEY_C, KEY_B] })
    const newOnly = createTokenSigner({ keys: [KEY_C] })
    await fc.assert(
      fc.asyncProperty(sessionIds, async (id) => {
        const oldToken = await oldSigner.sign(id)
        const newToken = await rotated.sign(id)
        expect(newToken).not.toBe(oldToken)
        expect(newToken).toBe(await newOnly.sign(id))
        expect(await rotated.verify(oldToken)).toBe(id)
        expect(await rotated.verify(newToken)).toBe(id)
        expect(await newOnly.verify(oldToken)).toBeNull()
        expect(await oldSigner.verify(newToken)).toBeNull()
      }),
      fcParams(50),
    )
  })

  it('copies byte keys: changing the array afterwards changes nothing', async () => {
    const bytes = new Uint8Array(KEY_B)
    const signer = createTokenSigner({ keys: [bytes] })
    const before = await signer.sign('x')
    bytes.fill(0)
    expect(await signer.sign('x')).toBe(before)
  })

  it('checks keys at creation with ConfigError, without echoing them', () => {
    const bad: unknown[] = [
      undefined,
      null,
      {},
      { keys: [] },
      { keys: 'k'.repeat(40) },
      { keys: [''] },
      { keys: ['short-secret'] },
      { keys: ['k'.repeat(MIN_KEY_BYTES - 1)] },
      { keys: [new Uint8Array(MIN_KEY_BYTES - 1)] },
      { keys: [KEY_A, 42] },
      { keys: Array.from({ length: 17 }, () => KEY_A) },
    ]
    for (const options of bad) {
      let error: unknown
      try {
        createTokenSigner(options as never)
      } catch (e) {
        error = e
      }
      expect(error, JSON.stringify(options)).toBeInstanceOf(ConfigError)
      expect((error as ConfigError).code).toBe('CONFIG')
      expect((error as Error).message).not.toContain('short-secret')
    }
    // multi-byte characters count as their UTF-8 bytes
    expect(() => createTokenSigner({ keys: ['é'.repeat(16)] })).not.toThrow()
  })

  it('refuses to sign a malformed session id', async () => {
    const signer = createTokenSigner({ keys: [KEY_A] })
    for (const id of ['', 'a b', 'x'.repeat(129), 42]) {
      await expect(signer.sign(id as string)).rejects.toBeInstanceOf(InvalidValueError)
    }
  })
})
