import { decodeBase64url, encodeBase64url } from '../util/base64url'
import { ConfigError } from '../model/errors'
import { MAX_ID_LENGTH, assertId } from '../util/ids'

/** Fewest bytes a signing key may have: HMAC-SHA256's own output size, as RFC 2104 recommends. */
export const MIN_KEY_BYTES = 32

/** Most keys a signer accepts; verifying costs one HMAC per key, so a long list is a mistake. */
export const MAX_KEYS = 16

/** Options of {@link createTokenSigner}. */
export interface TokenSignerOptions {
  /**
   * Secret keys, newest first. The first key signs; every key verifies, so a rotation is: put the
   * new key first, keep the old one until every token it signed has expired, then drop it. A
   * string is used as its UTF-8 bytes. Each key must have at least {@link MIN_KEY_BYTES} bytes:
   * use random bytes (`crypto.getRandomValues(new Uint8Array(32))`), not a password.
   */
  readonly keys: readonly (string | Uint8Array)[]
}

/** Signs session ids for cookies and checks signed tokens. */
export interface TokenSigner {
  /** `<sessionId>.<43 base64url characters of HMAC-SHA256>`; rejects with `InvalidValueError` for a malformed id. */
  sign(sessionId: string): Promise<string>
  /**
   * The session id when `token` was signed by one of the keys, otherwise `null`. Anything a client
   * can send — tampered, truncated, re-encoded, garbage, not a string — gives `null`, never an error.
   */
  verify(token: unknown): Promise<string | null>
}

/** Length of an unpadded base64url HMAC-SHA256 (32 bytes). */
const MAC_LENGTH = 43
/** Domain separation: a key shared with other HMAC uses can never yield a valid session token by accident. */
const PREFIX = new TextEncoder().encode('sessionflow/session-token/v1:')

/**
 * Creates a signer over HMAC-SHA256 from Web Crypto (`crypto.subtle`), available in Node 20+,
 * Deno, Bun, browsers and Workers. Keys are checked now (throws `ConfigError`) and imported on
 * first use.
 */
export function createTokenSigner(options: TokenSignerOptions): TokenSigner {
  const raw = readKeys(options)
  let imported: Promise<CryptoKey[]> | undefined
  const keys = () =>
    (imported ??= Promise.all(
      raw.map((bytes) => crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])),
    ))

  return {
    async sign(sessionId: string): Promise<string> {
      assertId(sessionId)
      const [first] = await keys()
      return `${sessionId}.${await mac(first!, sessionId)}`
    },

    async verify(token: unknown): Promise<string | null> {
      // cheap shape checks first: garbage costs no HMAC
      if (typeof token !== 'string' || token.length > MAX_ID_LENGTH + 1 + MAC_LENGTH) return null
      const dot = token.length - MAC_LENGTH - 1
      if (dot < 1 || token.charCodeAt(dot) !== 46 /* . */) return null
      const sessionId = token.slice(0, dot)
      const signature = token.slice(dot + 1)
      if (!isId(sessionId) || decodeBase64url(signature) === undefined) return null
      // compute every key's MAC and compare them all: the time taken says nothing about which
      // key (if any) matched, nor how many leading characters were right
      const expected = await Promise.all((await keys()).map((key) => mac(key, sessionId)))
      let valid = false
      for (const candidate of expected) valid = equalConstantTime(candidate, signature) || valid
      return valid ? sessionId : null
    },
  }
}

function readKeys(options: TokenSignerOptions): Uint8Array<ArrayBuffer>[] {
  if (typeof options !== 'object' || options === null) throw new ConfigError('createTokenSigner: options must be an object')
  const { keys } = options
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError('createTokenSigner: keys must be a non-empty array (newest key first)')
  }
  if (keys.length > MAX_KEYS) throw new ConfigError(`createTokenSigner: at most ${MAX_KEYS} keys are accepted`)
  return keys.map((key: unknown, i) => {
    let bytes: Uint8Array<ArrayBuffer>
    if (typeof key === 'string') bytes = new TextEncoder().encode(key)
    else if (key instanceof Uint8Array) bytes = new Uint8Array(key) // a copy: later changes by the caller do not reach us
    else throw new ConfigError(`createTokenSigner: keys[${i}] must be a string or a Uint8Array, got ${typeof key}`)
    // never echo the key itself in the message
    if (bytes.length === 0) throw new ConfigError(`createTokenSigner: keys[${i}] is empty`)
    if (bytes.length < MIN_KEY_BYTES) {
      throw new ConfigError(`createTokenSigner: keys[${i}] has ${bytes.length} bytes; at least ${MIN_KEY_BYTES} are required`)
    }
    return bytes
  })
}

async function mac(key: CryptoKey, sessionId: string): Promise<string> {
  const id = new TextEncoder().encode(sessionId)
  const message = new Uint8Array(PREFIX.length + id.length)
  message.set(PREFIX)
  message.set(id, PREFIX.length)
  return encodeBase64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, message)))
}

function isId(id: string): boolean {
  try {
    assertId(id)
    return true
  } catch {
    return false
  }
}

/** Compares two strings in time that depends only on their lengths (public: a MAC is always 43 characters). */
function equalConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
